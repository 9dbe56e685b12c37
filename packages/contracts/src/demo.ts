/**
 * Fixed ids of the seeded demo data. Each service seeds its own part of it (auth: tenant and users,
 * catalog: products, inventory: stock), so they agree on ids without reading each other's tables.
 */
export const DEMO_TENANT = {
  id: '00000000-0000-4000-8000-000000000001',
  slug: 'demo',
  name: 'Demo Shop',
} as const;
export const DEMO_PASSWORD = 'glassbox-demo';
export const DEMO_USERS = [
  {
    id: '00000000-0000-4000-8000-000000000101',
    email: 'alice@demo.test',
    name: 'Alice Customer',
    role: 'customer',
  },
  { id: '00000000-0000-4000-8000-000000000102', email: 'admin@demo.test', name: 'Ada Admin', role: 'admin' },
] as const;

export interface DemoProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: 'EUR';
  stock: number;
}

const CATALOG: [string, string, string, number][] = [
  ['Espresso Beans 1kg', 'Dark roast, chocolate notes', 'coffee', 2490],
  ['Filter Coffee 500g', 'Light roast, citrus and honey', 'coffee', 1290],
  ['Pour-over Kettle', 'Gooseneck, 1 litre, stainless steel', 'equipment', 5900],
  ['Burr Grinder', 'Conical burrs, 40 settings', 'equipment', 12900],
  ['Ceramic Mug', 'Hand-glazed, 300 ml', 'tableware', 1800],
  ['Travel Tumbler', 'Insulated, 450 ml', 'tableware', 2600],
  ['Green Tea Sencha 100g', 'Steamed Japanese green tea', 'tea', 990],
  ['Earl Grey 250g', 'Black tea with bergamot', 'tea', 1150],
  ['Milk Frother', 'Handheld, battery powered', 'equipment', 1490],
  ['Paper Filters (100)', 'Unbleached, size 02', 'equipment', 590],
  ['Cold Brew Bottle', 'Glass, 1 litre, with filter', 'equipment', 3200],
  ['Chai Spice Mix 200g', 'Cinnamon, cardamom, ginger, clove', 'tea', 1390],
];

export const DEMO_PRODUCTS: DemoProduct[] = CATALOG.map(([name, description, category, priceCents], i) => {
  const n = String(i + 1).padStart(3, '0');
  return {
    id: `00000000-0000-4000-8000-000000001${n}`,
    sku: `GB-${category.slice(0, 3).toUpperCase()}-${n}`,
    name,
    description,
    category,
    priceCents,
    currency: 'EUR',
    stock: 1000,
  };
});
