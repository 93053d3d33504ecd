/*-------------------------------------------------------------------------
 *
 * lsm_flush.c
 *	  Flush: write a frozen memtable as a level-0 SSTable.
 *
 * Steps, for the oldest frozen memtable of a relation:
 *	1. iterate its skiplist in key order into the SSTable builder,
 *	   dropping entries of aborted transactions;
 *	2. extend the relation by the SSTable's pages and write them, each
 *	   logged as a full-page image (they are not referenced yet, so a crash
 *	   here leaves only unreferenced space);
 *	3. in one XLOG_LSM_FLUSH record (a full image of the metapage), add
 *	   the SSTable to level 0, drop the memtable's log generation and put
 *	   its log pages on the free list; under the relation state's lock, so
 *	   readers see either the memtable or the SSTable, never neither;
 *	4. retire the memtable slot (freed when its last reader unpins it).
 *
 * Flushes of one relation are serialized by ShareUpdateExclusiveLock on
 * it, which also keeps TRUNCATE and DROP away while a flush runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "lsm_am.h"

typedef struct MemSink
{
	char	   *data;
	Size		len;
	Size		cap;
} MemSink;

static lsm_status
memsink_append(void *arg, const char *data, size_t len)
{
	MemSink    *s = (MemSink *) arg;

	if (s->len + len > s->cap)
	{
		Size		newcap = Max(s->cap * 2, s->len + len);

		s->data = repalloc_huge(s->data, newcap);
		s->cap = newcap;
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return LSM_OK;
}

/*
 * True if an entry written by this transaction can never become visible:
 * the transaction is over and did not commit.
 */
bool
lsm_entry_is_aborted(const LsmRowHeader *hdr)
{
	if (hdr->flags & LSM_ROW_FROZEN)
		return false;
	if (!TransactionIdIsNormal(hdr->xid))
		return false;
	if (TransactionIdIsInProgress(hdr->xid))
		return false;
	return !TransactionIdDidCommit(hdr->xid);
}

/* Fill a uuid (version 4). */
static void
make_uuid(uint8 *id)
{
	if (!pg_strong_random(id, 16))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
}

/* Collect the log pages of a memtable generation (walking its chain). */
static BlockNumber *
gen_pages(Relation rel, const LsmLogGen *lg, int *npages)
{
	BlockNumber *pages = palloc(sizeof(BlockNumber) * Max(lg->npages, 1));
	BlockNumber blk = lg->head;
	int			n = 0;

	while (BlockNumberIsValid(blk))
	{
		Buffer		buf;
		LsmLogPageOpaque *op;

		if (n >= (int) lg->npages)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("memtable log of relation \"%s\" is longer than its manifest says",
							RelationGetRelationName(rel))));
		pages[n++] = blk;
		buf = ReadBuffer(rel, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		op = (LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(buf));
		blk = op->next;
		UnlockReleaseBuffer(buf);
	}
	*npages = n;
	return pages;
}

/*
 * Flush one frozen memtable slot (pinned by the caller).
 */
static void
flush_one(Relation rel, LsmRelState *st, int idx)
{
	LsmMemSlot *slot = lsm_slot(idx);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "lsm flush", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	lsm_allocator allocator;
	const lsm_allocator *alloc = &allocator;
	lsm_sst_options opts;
	MemSink		sink = {palloc(65536), 0, 65536};
	lsm_sink	snk = {memsink_append, &sink};
	lsm_sst_builder *b;
	lsm_iter   *it;
	const lsm_sst_props *props = NULL;
	uint64		file_size = 0;
	uint64		nentries;
	BlockNumber start = InvalidBlockNumber;
	uint32		nblocks = 0;
	Buffer		metabuf;
	LsmMetaData *meta;
	LsmSstEntry sst;
	BlockNumber *pages;
	int			npages;
	int			g;
	int			i;
	xl_lsm_flush xlrec;
	XLogRecPtr	recptr;
	lsm_status	s;

	lsm_palloc_allocator_init(&allocator, cxt);
	lsm_rel_sst_options(rel, &opts);
	b = lsm_sst_builder_new(alloc, &opts, &snk);
	it = lsm_memtable_iter_new(&slot->mt, &lsm_bytewise_comparator, alloc);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen,
					vlen;
		const char *k = lsm_iter_key(it, &klen);
		const char *v = lsm_iter_value(it, &vlen);
		LsmRowHeader hdr;

		if (vlen >= sizeof(LsmRowHeader))
		{
			memcpy(&hdr, v, sizeof(hdr));
			if (lsm_entry_is_aborted(&hdr))
				continue;
		}
		s = lsm_sst_builder_add(b, k, klen, v, vlen);
		if (s != LSM_OK)
			elog(ERROR, "lsm flush of \"%s\": %s", RelationGetRelationName(rel),
				 lsm_status_string(s));
	}
	lsm_iter_destroy(it);
	nentries = lsm_sst_builder_num_entries(b);
	if (nentries > 0)
	{
		s = lsm_sst_builder_finish(b, &props, &file_size);
		if (s != LSM_OK)
			elog(ERROR, "lsm flush of \"%s\": %s", RelationGetRelationName(rel),
				 lsm_status_string(s));
		nblocks = (uint32) ((file_size + LSM_SST_PAGE_PAYLOAD - 1) / LSM_SST_PAGE_PAYLOAD);
		start = lsm_alloc_blocks(rel, NULL, nblocks);
		lsm_sst_write(rel, sink.data, file_size, start, nblocks);

		memset(&sst, 0, sizeof(sst));
		make_uuid(sst.id);
		sst.level = 0;
		sst.start = start;
		sst.nblocks = nblocks;
		sst.file_size = file_size;
		sst.entries = props->num_entries;
		sst.tombstones = props->num_deletes;
		sst.min_seq = props->min_seq;
		sst.max_seq = props->max_seq;
		sst.created_at = GetCurrentTimestamp();
		sst.bloom_fp_rate = opts.bloom_fp_rate;
	}

	/* switch the manifest */
	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = palloc(BLCKSZ);
	memcpy(meta, LsmPageGetMeta(BufferGetPage(metabuf)),
		   BLCKSZ - MAXALIGN(SizeOfPageHeaderData));
	for (g = 0; g < meta->nloggens; g++)
		if (meta->loggens[g].gen == slot->gen)
			break;
	if (g == meta->nloggens)
		elog(ERROR, "memtable generation " UINT64_FORMAT " of \"%s\" is not in the manifest",
			 slot->gen, RelationGetRelationName(rel));
	if (nentries > 0 && meta->nssts >= LSM_META_MAX_SSTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("lsm relation \"%s\" has too many SSTables (%d)",
						RelationGetRelationName(rel), meta->nssts),
				 errhint("Compact the relation with lsm_am.compact(), or rewrite it.")));
	pages = gen_pages(rel, &meta->loggens[g], &npages);
	for (i = 0; i < npages; i++)
		lsm_free_blocks(meta, pages[i], 1);
	memmove(&meta->loggens[g], &meta->loggens[g + 1],
			(meta->nloggens - g - 1) * sizeof(LsmLogGen));
	meta->nloggens--;
	if (nentries > 0)
	{
		memmove(&meta->ssts[1], &meta->ssts[0], meta->nssts * sizeof(LsmSstEntry));
		meta->ssts[0] = sst;
		meta->nssts++;
	}
	meta->next_seq = Max(meta->next_seq, st->next_seq);

	xlrec.gen = slot->gen;
	xlrec.start = start;
	xlrec.nblocks = nblocks;
	xlrec.entries = nentries;

	START_CRIT_SECTION();
	memcpy(LsmPageGetMeta(BufferGetPage(metabuf)), meta,
		   offsetof(LsmMetaData, ssts) + meta->nssts * sizeof(LsmSstEntry));
	lsm_meta_set_lower(BufferGetPage(metabuf));
	MarkBufferDirty(metabuf);
	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, sizeof(xlrec));
	XLogRegisterBuffer(0, metabuf, REGBUF_FORCE_IMAGE | REGBUF_STANDARD);
	recptr = XLogInsert(LSM_RMGR_ID, XLOG_LSM_FLUSH);
	PageSetLSN(BufferGetPage(metabuf), recptr);
	END_CRIT_SECTION();

	for (i = 0; i < st->nfrozen; i++)
	{
		if (st->frozen[i] == idx)
		{
			memmove(&st->frozen[i], &st->frozen[i + 1],
					(st->nfrozen - i - 1) * sizeof(int));
			st->nfrozen--;
			break;
		}
	}
	lsm_slot_retire(idx);
	st->flushes++;
	st->bytes_flushed += file_size;
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	ConditionVariableBroadcast(&st->cv);

	lsm_sst_builder_free(b);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * Flush the frozen memtables of a relation (and, with all, the active one
 * first).  Returns the number of memtables flushed.  The caller holds at
 * least AccessShareLock on rel.
 */
int
lsm_flush_relation(Relation rel, bool all)
{
	LsmRelState *st;
	int			count = 0;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot flush lsm relations during recovery"),
				 errhint("Flush on the primary; standbys replay its flushes.")));

	st = lsm_memstore_open(rel);
	LockRelation(rel, ShareUpdateExclusiveLock);
	if (all)
		lsm_memstore_freeze(st);
	for (;;)
	{
		int			idx;

		LWLockAcquire(&st->lock, LW_SHARED);
		if (st->nfrozen == 0)
		{
			LWLockRelease(&st->lock);
			break;
		}
		idx = st->frozen[0];
		lsm_slot_pin(idx);
		LWLockRelease(&st->lock);

		flush_one(rel, st, idx);
		lsm_slot_unpin(idx);
		count++;
	}
	st->flush_requested = false;
	UnlockRelation(rel, ShareUpdateExclusiveLock);
	return count;
}
