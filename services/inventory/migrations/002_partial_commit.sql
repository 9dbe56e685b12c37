-- A commit may take fewer units off hand than were held (a flash sale settles what it sold and gives the rest
-- back): each item records what its commit took, and a later restock (a late compensation) puts back exactly that.
ALTER TABLE reservation_items
  ADD COLUMN committed integer CHECK (committed >= 0 AND committed <= quantity);
UPDATE reservation_items AS i SET committed = i.quantity
  FROM reservations AS r
 WHERE r.tenant_id = i.tenant_id AND r.id = i.reservation_id AND r.status = 'COMMITTED';
