import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readDatasetFolder } from './dataset-folder.ts';

function folder(csv: string, images: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'grokcat-dataset-'));
  mkdirSync(path.join(dir, 'images'));
  // Distinct bytes per file: the key is the content hash.
  for (const image of images) writeFileSync(path.join(dir, image), `bytes of ${image}`);
  writeFileSync(path.join(dir, 'labels.csv'), csv);
  return dir;
}

const HEADER =
  'image,split,product_id,title,article_type,base_colour,colour_material,same_image_group,image_type';

test('readDatasetFolder: splits, default columns, label counts, queries and product groups', () => {
  const rows = [
    'images/a.jpg,dev,p1,Blue Denim Jacket,Jackets,Blue,"Cotton, Steel",g1,natural',
    'images/b.jpg,dev,p2,Blue Denim Jeans,Jeans,Blue,Cotton,g1,natural',
    'images/c.jpg,dev,p3,Red Denim Jacket,Jackets,Red,Cotton,g3,iconic',
    'images/d.jpg,test,p4,Black Leather Jacket,Jackets,Black,Leather,g4,natural',
    'images/e.jpg,holdout,p5,Blue Denim Jacket,Jackets,Blue,Cotton,g5,natural',
  ];
  const dir = folder(
    [HEADER, ...rows].join('\n'),
    ['a', 'b', 'c', 'd', 'e'].map((n) => `images/${n}.jpg`),
  );
  try {
    const dataset = readDatasetFolder(dir);
    // The holdout row is left out; dev trains, test evaluates.
    assert.deepEqual(
      dataset.images.map((i) => i.split),
      ['train', 'train', 'train', 'eval'],
    );
    // article_type is the default category column; every training category is known.
    assert.deepEqual(dataset.categories, ['Jackets', 'Jeans']);
    assert.equal(dataset.images[3]?.category, 'Jackets');
    // Labels seen fewer than 3 times in training are dropped: Blue (2), Red (1) go; Cotton (3) stays,
    // split out of "Cotton, Steel".
    assert.deepEqual(dataset.attributeGroups, [{ name: 'colour_material', labels: ['Cotton'] }]);
    assert.deepEqual(dataset.images[0]?.attributes, ['colour_material=Cotton']);
    // Title words of 3+ letters in 3+ training titles: "denim" only.
    assert.deepEqual(dataset.queries, ['denim']);
    // Same image group: p2 is listed with p1's photo bytes group, so it joins product p1.
    assert.equal(dataset.images[1]?.product, 'p1');
    assert.equal(dataset.images[2]?.iconic, true);
    assert.notEqual(dataset.images[0]?.key, dataset.images[1]?.key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readDatasetFolder: a named category column, and clear errors for what is missing', () => {
  const dir = folder([HEADER, 'images/a.jpg,dev,p1,A title,Jackets,Blue,Cotton,,natural'].join('\n'), [
    'images/a.jpg',
  ]);
  try {
    assert.deepEqual(readDatasetFolder(dir, { categoryColumn: 'base_colour' }).categories, ['Blue']);
    assert.throws(() => readDatasetFolder(dir, { categoryColumn: 'colour' }), /no "colour" column/);
    assert.throws(() => readDatasetFolder(dir, { attributeColumns: ['size'] }), /no columns size/);
    writeFileSync(
      path.join(dir, 'labels.csv'),
      `${HEADER}\nimages/zz.jpg,dev,p1,t,Jackets,Blue,Cotton,,natural`,
    );
    assert.throws(() => readDatasetFolder(dir), /image images\/zz.jpg is missing/);
    assert.throws(() => readDatasetFolder(path.join(dir, 'images')), /has no labels.csv/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
