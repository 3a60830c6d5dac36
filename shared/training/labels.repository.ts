import type { Knex } from 'knex';

export type LabelKind = 'category' | 'attributes' | 'product_match' | 'query_click';

export interface LabelRecord {
  eventId: string;
  kind: LabelKind;
  listingId: string | null;
  imageRef: string | null;
  payload: Record<string, unknown>;
  source: string;
  /** When the judgement was made (the event's occurred_at): the conflict rule orders by it. */
  occurredAt: Date;
}

export interface StoredLabel {
  id: number;
  kind: LabelKind;
  listing_id: string | null;
  image_ref: string | null;
  payload: Record<string, unknown>;
  source: string;
  created_at: Date;
}

/** Labels in Postgres, one row per label event: a redelivered event is a no-op (event_id is unique). */
export function createLabelsRepository(knex: Knex) {
  return {
    /** Stores new labels in one statement; returns how many were new. */
    async store(labels: LabelRecord[], trx: Knex | Knex.Transaction = knex): Promise<number> {
      if (labels.length === 0) return 0;
      const inserted = await trx('labels')
        .insert(
          labels.map((l) => ({
            event_id: l.eventId,
            kind: l.kind,
            listing_id: l.listingId,
            image_ref: l.imageRef,
            payload: l.payload,
            source: l.source,
            created_at: l.occurredAt,
          })),
        )
        .onConflict('event_id')
        .ignore()
        .returning('id');
      return inserted.length;
    },

    /** Every label, oldest judgement first (ties: the one received first). */
    all: (): Promise<StoredLabel[]> => knex('labels').orderBy([{ column: 'created_at' }, { column: 'id' }]),

    async highestId(): Promise<number> {
      const row = await knex('labels').max({ id: 'id' }).first();
      return Number(row?.id ?? 0);
    },

    async countAfter(id: number): Promise<number> {
      const row = await knex('labels').where('id', '>', id).count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },

    /** The labels seen by the last finished run (0 when none ran). */
    async lastTrainedThrough(): Promise<number> {
      const row = await knex('training_runs')
        .where({ trigger: 'labels' })
        .whereNot({ status: 'running' })
        .max({ through: 'labels_through' })
        .first();
      return Number(row?.through ?? 0);
    },

    /** Images of labelled listings (or of image refs), with their content hash once fetched. */
    imagesOf: (listingIds: string[], refs: string[]) =>
      knex('listing_images')
        .whereNotNull('sha256')
        .andWhere((q) => q.whereIn('listing_id', listingIds).orWhereIn('ref', refs))
        .select<{ listing_id: string; ref_kind: string; ref: string; sha256: string }[]>(
          'listing_id',
          'ref_kind',
          'ref',
          'sha256',
        ),
  };
}

export type LabelsRepository = ReturnType<typeof createLabelsRepository>;
