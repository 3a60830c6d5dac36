import { FASHION_MNIST_CLASSES } from './fashion-mnist.ts';

type FashionClass = (typeof FASHION_MNIST_CLASSES)[number];

/**
 * What the reference heads predict besides the ten Fashion-MNIST categories. Fashion-MNIST has no
 * attribute or query labels, so these are derived from the category: the heads learn them from
 * pixels, but they can never know more than the category tells (a red T-shirt is not "red" here).
 */
export const REFERENCE_ATTRIBUTES: { group: string; label: string; classes: FashionClass[] }[] = [
  { group: 'body_zone', label: 'upper_body', classes: ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'] },
  { group: 'body_zone', label: 'lower_body', classes: ['Trouser'] },
  { group: 'body_zone', label: 'full_body', classes: ['Dress'] },
  { group: 'body_zone', label: 'feet', classes: ['Sandal', 'Sneaker', 'Ankle boot'] },
  { group: 'body_zone', label: 'carried', classes: ['Bag'] },
  { group: 'season', label: 'summer', classes: ['T-shirt/top', 'Dress', 'Sandal'] },
  { group: 'season', label: 'winter', classes: ['Pullover', 'Coat', 'Ankle boot'] },
];

export const REFERENCE_QUERIES: { query: string; classes: FashionClass[] }[] = [
  { query: 't-shirt', classes: ['T-shirt/top'] },
  { query: 'top', classes: ['T-shirt/top', 'Shirt'] },
  { query: 'trousers', classes: ['Trouser'] },
  { query: 'jeans', classes: ['Trouser'] },
  { query: 'sweater', classes: ['Pullover'] },
  { query: 'jumper', classes: ['Pullover'] },
  { query: 'dress', classes: ['Dress'] },
  { query: 'coat', classes: ['Coat'] },
  { query: 'jacket', classes: ['Coat'] },
  { query: 'sandals', classes: ['Sandal'] },
  { query: 'shirt', classes: ['Shirt'] },
  { query: 'blouse', classes: ['Shirt'] },
  { query: 'sneakers', classes: ['Sneaker'] },
  { query: 'trainers', classes: ['Sneaker'] },
  { query: 'boots', classes: ['Ankle boot'] },
  { query: 'shoes', classes: ['Sandal', 'Sneaker', 'Ankle boot'] },
  { query: 'bag', classes: ['Bag'] },
  { query: 'handbag', classes: ['Bag'] },
  { query: 'summer clothes', classes: ['T-shirt/top', 'Dress', 'Sandal'] },
  { query: 'winter clothes', classes: ['Pullover', 'Coat', 'Ankle boot'] },
];

/** Multi-hot targets of a category for a label list. */
export function multiHot(category: number, labels: { classes: readonly string[] }[]): number[] {
  const name = FASHION_MNIST_CLASSES[category] as string;
  return labels.map((entry) => (entry.classes.includes(name) ? 1 : 0));
}
