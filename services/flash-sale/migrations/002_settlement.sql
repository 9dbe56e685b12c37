-- A sale is settled once it has ended and every purchase is either CONFIRMED or RELEASED: the units confirmed are
-- taken off hand from the sale's reservation and the rest of the hold goes back to inventory, once.
ALTER TABLE flash_sales
  ADD COLUMN settled_at    timestamptz,
  ADD COLUMN settled_units integer CHECK (settled_units >= 0);
CREATE INDEX flash_sales_unsettled ON flash_sales (ends_at) WHERE settled_at IS NULL;
