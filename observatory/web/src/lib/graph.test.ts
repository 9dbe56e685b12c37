import { describe, expect, it } from 'vitest';
import { assignServiceColors, serviceColor } from './colors.js';
import { edgePath, layoutGraph } from './graph.js';

describe('layoutGraph', () => {
  const edges = [
    { parent: 'gateway', child: 'auth' },
    { parent: 'gateway', child: 'order' },
    { parent: 'order', child: 'inventory' },
    { parent: 'order', child: 'payment' },
    { parent: 'gateway', child: 'catalog' },
    { parent: 'catalog', child: 'inventory' },
  ];

  it('puts callers left of the services they call (longest chain decides)', () => {
    const layout = layoutGraph(
      ['gateway', 'auth', 'order', 'inventory', 'payment', 'catalog', 'lonely'],
      edges,
    );
    const layer = (id: string) => layout.nodes.get(id)!.layer;
    expect(layer('gateway')).toBe(0);
    expect(layer('lonely')).toBe(0);
    expect(layer('auth')).toBe(1);
    expect(layer('order')).toBe(1);
    expect(layer('catalog')).toBe(1);
    expect(layer('inventory')).toBe(2);
    expect(layer('payment')).toBe(2);
    for (const e of edges)
      expect(layout.nodes.get(e.child)!.x).toBeGreaterThan(layout.nodes.get(e.parent)!.x);
  });

  it('gives every node a distinct position', () => {
    const layout = layoutGraph([], edges);
    const spots = new Set([...layout.nodes.values()].map((n) => `${n.x},${n.y}`));
    expect(spots.size).toBe(layout.nodes.size);
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(0);
  });

  it('survives cycles and self-calls', () => {
    const layout = layoutGraph(
      ['a'],
      [
        { parent: 'a', child: 'b' },
        { parent: 'b', child: 'c' },
        { parent: 'c', child: 'a' },
        { parent: 'b', child: 'b' },
      ],
    );
    expect(layout.nodes.size).toBe(3);
    expect(layout.nodes.get('a')!.layer).toBe(0);
    expect(layout.nodes.get('b')!.layer).toBe(1);
    expect(layout.nodes.get('c')!.layer).toBe(2);
  });

  it('lays out an empty graph', () => {
    const layout = layoutGraph([], []);
    expect(layout.nodes.size).toBe(0);
    expect(layout.layers).toEqual([]);
  });

  it('draws forward edges left to right and back edges as loops', () => {
    expect(edgePath({ x: 0, y: 0 }, { x: 200, y: 50 }, 40)).toBe('M40,0 C100,0 100,50 160,50');
    expect(edgePath({ x: 200, y: 0 }, { x: 0, y: 0 }, 40)).toMatch(/^M200,16 C/);
  });
});

describe('service colours', () => {
  it('are stable and distinct while the palette lasts', () => {
    expect(serviceColor('order')).toBe(serviceColor('order'));
    const names = ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment', 'notification'];
    const colors = assignServiceColors(names);
    expect(new Set(colors.values()).size).toBe(names.length);
    expect(assignServiceColors([...names].reverse())).toEqual(colors);
  });
});
