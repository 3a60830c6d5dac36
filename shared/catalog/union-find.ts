/** Disjoint sets with path halving and union by size: transitive matches become one cluster. */
export function createUnionFind<K>() {
  const parent = new Map<K, K>();
  const size = new Map<K, number>();
  const find = (key: K): K => {
    if (!parent.has(key)) {
      parent.set(key, key);
      size.set(key, 1);
    }
    let node = key;
    while (parent.get(node) !== node) {
      const up = parent.get(node) as K;
      parent.set(node, parent.get(up) as K);
      node = up;
    }
    return node;
  };
  return {
    find,
    union(a: K, b: K): K {
      let x = find(a);
      let y = find(b);
      if (x === y) return x;
      if ((size.get(x) ?? 1) < (size.get(y) ?? 1)) [x, y] = [y, x];
      parent.set(y, x);
      size.set(x, (size.get(x) ?? 1) + (size.get(y) ?? 1));
      return x;
    },
    /** Every key seen, grouped by cluster. */
    clusters(): K[][] {
      const groups = new Map<K, K[]>();
      for (const key of parent.keys()) {
        const root = find(key);
        groups.set(root, [...(groups.get(root) ?? []), key]);
      }
      return [...groups.values()];
    },
  };
}
