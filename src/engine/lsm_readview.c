/*-------------------------------------------------------------------------
 *
 * engine/lsm_readview.c
 *	  The read path: a consistent view of a relation's memtables and
 *	  SSTables, merged into one iterator of entries in internal-key order.
 *
 * A view pins the memtable slots and copies the SSTable list under the
 * relation state's lock (shared), which flushes take exclusively to swap
 * a memtable for its SSTable: a view sees each entry exactly once (or, in
 * the merge, twice with the same internal key, and keeps one).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "storage/bufmgr.h"
#include "core/lsm_core.h"
#include "core/lsm_memtable.h"
#include "core/lsm_merge.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_workers.h"
#include "engine/lsm_writebatch.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

static int
sst_order_cmp(const void *a, const void *b)
{
	const LsmSstEntry *x = (const LsmSstEntry *) a;
	const LsmSstEntry *y = (const LsmSstEntry *) b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->max_seq != y->max_seq)
		return x->max_seq > y->max_seq ? -1 : 1;
	return 0;
}

/*
 * Open views of this backend.  A view whose resource owner is released
 * without the view being closed (an ERROR in the middle of a scan) gives
 * back its manifest version pin then; its memtable pins and buffer pins are
 * released by their own resource-owner bookkeeping, its memory with its
 * context.
 */
typedef struct OpenView
{
	LsmReadView *view;
	struct OpenView *next;
} OpenView;

static OpenView *open_views = NULL;
static bool open_views_callback = false;

static void
forget_view(LsmReadView *view)
{
	OpenView  **p;

	for (p = &open_views; *p; p = &(*p)->next)
	{
		if ((*p)->view == view)
		{
			OpenView   *dead = *p;

			*p = dead->next;
			pfree(dead);
			return;
		}
	}
}

/*
 * SSTable readers cached by this backend across statements and
 * transactions (SSTables never change): a reader's footer, index, bloom
 * filter, properties and recently used blocks are read and verified once.
 * Each lives in its own memory context; one view uses it at a time (a
 * second concurrent view of the same SSTable gets a private reader).  A
 * view abandoned by an ERROR drops its readers whole, with whatever
 * iterators were left in them.
 */
typedef struct LsmCachedReader
{
	RelFileNode rnode;
	uint8		id[16];
	BlockNumber start;
	MemoryContext cxt;
	lsm_allocator alloc;
	LsmSstFileCtx fctx;
	lsm_file	file;
	lsm_sst_reader *reader;
	bool		cached;			/* on the list (else dropped after use) */
	bool		in_use;
	uint64		last_use;
	struct LsmCachedReader *next;
} LsmCachedReader;

#define MAX_CACHED_READERS 256

static LsmCachedReader *reader_cache = NULL;
static int	nreader_cache = 0;
static uint64 reader_clock = 0;

static void
drop_reader(LsmCachedReader *cr)
{
	if (cr->cached)
	{
		LsmCachedReader **p;

		for (p = &reader_cache; *p; p = &(*p)->next)
			if (*p == cr)
			{
				*p = cr->next;
				nreader_cache--;
				break;
			}
	}
	MemoryContextDelete(cr->cxt);	/* cr itself lives there */
}

/* Get a reader of sst for a view, from the cache or newly opened. */
static LsmCachedReader *
get_reader(Relation rel, const LsmSstEntry *sst, const lsm_sst_options *opts,
		   BufferAccessStrategy strategy, XLogRecPtr max_lsn)
{
	LsmCachedReader *cr;
	MemoryContext cxt;
	uint64		bad = 0;
	lsm_status	s;

	for (cr = reader_cache; cr; cr = cr->next)
	{
		if (!cr->in_use && cr->start == sst->start &&
			RelFileNodeEquals(cr->rnode, rel->rd_node) &&
			memcmp(cr->id, sst->id, 16) == 0)
			break;
	}
	if (cr == NULL)
	{
		cxt = AllocSetContextCreate(TopMemoryContext, "lsm sstable reader",
									ALLOCSET_SMALL_SIZES);
		cr = MemoryContextAllocZero(cxt, sizeof(LsmCachedReader));
		cr->cxt = cxt;
		cr->rnode = rel->rd_node;
		memcpy(cr->id, sst->id, 16);
		cr->start = sst->start;
		lsm_palloc_allocator_init(&cr->alloc, cxt);
		lsm_sst_file_init(&cr->file, &cr->fctx, rel, sst, strategy);
		cr->fctx.max_lsn = max_lsn;
		PG_TRY();
		{
			s = lsm_sst_reader_open(&cr->alloc, opts, &cr->file, &cr->reader, &bad);
			if (s != LSM_OK)
				lsm_report_sst_error(rel, sst, s, bad);
		}
		PG_CATCH();
		{
			lsm_sst_file_release(&cr->fctx);
			MemoryContextDelete(cxt);
			PG_RE_THROW();
		}
		PG_END_TRY();
		/* keep it if there is room, evicting the least recently used */
		if (nreader_cache >= MAX_CACHED_READERS)
		{
			LsmCachedReader *victim = NULL;
			LsmCachedReader *c;

			for (c = reader_cache; c; c = c->next)
				if (!c->in_use && (victim == NULL || c->last_use < victim->last_use))
					victim = c;
			if (victim)
				drop_reader(victim);
		}
		if (nreader_cache < MAX_CACHED_READERS)
		{
			cr->cached = true;
			cr->next = reader_cache;
			reader_cache = cr;
			nreader_cache++;
		}
	}
	cr->in_use = true;
	cr->last_use = ++reader_clock;
	/*
	 * This view's relation pointer, strategy and LSN bound.  A reader from
	 * the cache holds no buffer (released when its last view closed); a new
	 * one may hold the page it read last, pinned under this view's owner.
	 */
	cr->fctx.rel = rel;
	cr->fctx.strategy = strategy;
	cr->fctx.max_lsn = max_lsn;
	return cr;
}

/* A view is done with a reader (its buffer pin already released). */
static void
put_reader(LsmCachedReader *cr, bool discard)
{
	cr->in_use = false;
	if (discard || !cr->cached)
		drop_reader(cr);
}

static void
views_resowner_callback(ResourceReleasePhase phase, bool isCommit,
						bool isTopLevel, void *arg)
{
	OpenView  **p = &open_views;

	if (phase != RESOURCE_RELEASE_BEFORE_LOCKS)
		return;
	while (*p)
	{
		OpenView   *ov = *p;

		if (ov->view->owner == CurrentResourceOwner)
		{
			int			i;

			if (isCommit)
				elog(WARNING, "lsm_am read view of \"%s\" was not closed",
					 RelationGetRelationName(ov->view->rel));
			if (lsm_manifest_unpin_view(ov->view->st, ov->view->pin, ov->view->incarnation))
				lsm_request_reclaim(ov->view->st);
			/* buffers were released by the owner; iterators may be left */
			for (i = 0; i < ov->view->nssts; i++)
				if (ov->view->creaders[i])
					put_reader(ov->view->creaders[i], true);
			*p = ov->next;
			pfree(ov);
		}
		else
			p = &ov->next;
	}
}

static void
remember_view(LsmReadView *view)
{
	OpenView   *ov = MemoryContextAlloc(TopMemoryContext, sizeof(OpenView));

	if (!open_views_callback)
	{
		RegisterResourceReleaseCallback(views_resowner_callback, NULL);
		open_views_callback = true;
	}
	ov->view = view;
	ov->next = open_views;
	open_views = ov;
}

/*
 * Open a view of rel: every memtable and SSTable, newest first, merged.
 * Memory lives in view->cxt, a child of parent, which must live as long
 * as the view (a scan's context, not a per-tuple one).
 */
LsmReadView *
lsm_read_view_open(Relation rel, BufferAccessStrategy strategy, MemoryContext parent)
{
	LsmRelState *st;
	MemoryContext cxt;
	MemoryContext old;
	LsmReadView *view;
	const lsm_allocator *alloc;
	lsm_sst_options opts;
	lsm_iter  **children;
	int			nchildren = 0;
	int			i;
	Buffer		metabuf;
	XLogRecPtr	max_lsn;

	/* what this transaction wrote and still holds back comes first */
	lsm_batch_apply(rel);
	st = lsm_memstore_open(rel);
	cxt = AllocSetContextCreate(parent, "lsm read view", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	view = palloc0(sizeof(LsmReadView));
	alloc = &view->alloc;

	view->rel = rel;
	view->cxt = cxt;
	view->lookup_cxt = AllocSetContextCreate(cxt, "lsm row lookup", ALLOCSET_SMALL_SIZES);
	view->owner = CurrentResourceOwner;
	lsm_palloc_allocator_init(&view->alloc, cxt);

	LWLockAcquire(&st->lock, LW_SHARED);
	if (st->active >= 0)
	{
		lsm_slot_pin(st->active);
		view->slots[view->nslots++] = st->active;
	}
	for (i = st->nfrozen - 1; i >= 0; i--)
	{
		lsm_slot_pin(st->frozen[i]);
		view->slots[view->nslots++] = st->frozen[i];
	}
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf != InvalidBuffer)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));

		view->ssts = lsm_meta_ssts(rel, meta, &view->nssts);
		UnlockReleaseBuffer(metabuf);
	}
	/* hold the SSTables' blocks until the view closes (see engine/lsm_manifest.c) */
	view->st = st;
	view->pin = lsm_manifest_pin_view(st);
	view->incarnation = st->incarnation;
	max_lsn = RecoveryInProgress() ? GetXLogReplayRecPtr(NULL) : GetXLogInsertRecPtr();
	LWLockRelease(&st->lock);
	remember_view(view);

	if (view->nssts > 1)
		qsort(view->ssts, view->nssts, sizeof(LsmSstEntry), sst_order_cmp);

	lsm_rel_sst_options(rel, &opts);
	children = palloc(sizeof(lsm_iter *) * (view->nslots + view->nssts + 1));
	for (i = 0; i < view->nslots; i++)
	{
		/* a view reads only memtables it pinned */
		Assert(lsm_slot(view->slots[i])->refcount > 0);
		children[nchildren++] = lsm_memtable_iter_new(&lsm_slot(view->slots[i])->mt,
													  lsm_rel_comparator(rel), alloc);
	}
	view->readers = palloc0(sizeof(lsm_sst_reader *) * Max(1, view->nssts));
	view->creaders = palloc0(sizeof(LsmCachedReader *) * Max(1, view->nssts));
	for (i = 0; i < view->nssts; i++)
	{
		view->creaders[i] = get_reader(rel, &view->ssts[i], &opts, strategy, max_lsn);
		view->readers[i] = view->creaders[i]->reader;
		children[nchildren++] = lsm_sst_reader_iter(view->readers[i]);
	}
	view->iter = lsm_merge_iter_new(alloc, lsm_rel_comparator(rel), children, nchildren);
	MemoryContextSwitchTo(old);
	return view;
}

/*
 * Raise the error an iterator met, naming the SSTable it came from when
 * it was an SSTable's.
 */
void
lsm_check_iter_status(LsmReadView *view, lsm_iter *it)
{
	lsm_status	s = lsm_iter_status(it);
	int			i;

	if (s == LSM_OK)
		return;
	/* find the SSTable that failed, to name its blocks */
	for (i = 0; i < view->nssts; i++)
	{
		lsm_iter   *probe = lsm_sst_reader_iter(view->readers[i]);

		lsm_iter_seek_first(probe);
		while (lsm_iter_valid(probe))
			lsm_iter_next(probe);
		if (lsm_iter_status(probe) != LSM_OK)
			lsm_report_sst_error(view->rel, &view->ssts[i], lsm_iter_status(probe),
								 lsm_sst_iter_bad_offset(probe));
		lsm_iter_destroy(probe);
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("error reading lsm relation \"%s\": %s",
					RelationGetRelationName(view->rel), lsm_status_string(s))));
}

void
lsm_read_view_close(LsmReadView *view)
{
	int			i;
	ResourceOwner saved = CurrentResourceOwner;

	CurrentResourceOwner = view->owner;
	/* the merge owns every child iterator, some living in cached readers */
	if (view->iter)
		lsm_iter_destroy(view->iter);
	view->iter = NULL;
	for (i = 0; i < view->nssts; i++)
	{
		if (view->creaders[i] == NULL)
			continue;
		lsm_sst_file_release(&view->creaders[i]->fctx);
		put_reader(view->creaders[i], false);
		view->creaders[i] = NULL;
	}
	for (i = 0; i < view->nslots; i++)
		lsm_slot_unpin(view->slots[i], view->owner);
	CurrentResourceOwner = saved;
	if (lsm_manifest_unpin_view(view->st, view->pin, view->incarnation))
		lsm_request_reclaim(view->st);
	forget_view(view);
	MemoryContextDelete(view->cxt);
}

/*
 * A merged iterator over the view's memtables and the SSTables whose
 * bloom filter may hold the bloom key of user key bloomkey (all of them if
 * bloomkey is NULL), for
 * point lookups of an index.  The caller destroys it, with the view's
 * resource owner current.
 */
lsm_iter *
lsm_view_point_iter(LsmReadView *view, const char *bloomkey, size_t len)
{
	const lsm_comparator *cmp = lsm_rel_comparator(view->rel);
	MemoryContext old = MemoryContextSwitchTo(view->cxt);
	lsm_iter  **children = palloc(sizeof(lsm_iter *) * (view->nslots + view->nssts + 1));
	int			n = 0;
	int			i;
	lsm_iter   *it;

	for (i = 0; i < view->nslots; i++)
	{
		Assert(lsm_slot(view->slots[i])->refcount > 0);
		children[n++] = lsm_memtable_iter_new(&lsm_slot(view->slots[i])->mt,
											  cmp, &view->alloc);
	}
	for (i = 0; i < view->nssts; i++)
	{
		if (bloomkey != NULL &&
			!lsm_sst_reader_may_contain(view->readers[i], bloomkey, len))
			continue;
		children[n++] = lsm_sst_reader_iter(view->readers[i]);
	}
	it = lsm_merge_iter_new(&view->alloc, cmp, children, n);
	pfree(children);
	MemoryContextSwitchTo(old);
	if (it == NULL)
		elog(ERROR, "out of memory for an lsm index lookup");
	return it;
}

/* ---------- point lookups ---------- */

static int
entry_seq_desc(const void *a, const void *b)
{
	const LsmRowEntry *x = (const LsmRowEntry *) a;
	const LsmRowEntry *y = (const LsmRowEntry *) b;

	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return 0;
}

/* A lookup in progress (lsm_view_get_row_upto). */
typedef struct RowLookup
{
	LsmRowEnough enough;		/* NULL: every entry */
	void	   *arg;
	bool		sorted;			/* the entries so far are newest first */
	bool		stopped;		/* enough said yes at seq cutoff */
	uint64		cutoff;
} RowLookup;

/*
 * Append the entries of rowkey found by a fresh iterator of one source,
 * newest first, leaving out those older than the cutoff once the lookup
 * has stopped; returns when the lookup's enough says so.
 */
static void
collect_from(LsmReadView *view, lsm_iter *it, const char *rowkey,
			 LsmRowEntry **out, int *n, int *max, RowLookup *lk)
{
	char		ikey[LSM_ROWKEY_LEN + LSM_TRAILER_SIZE];

	memcpy(ikey, rowkey, LSM_ROWKEY_LEN);
	lsm_trailer_encode(ikey + LSM_ROWKEY_LEN, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	for (lsm_iter_seek(it, ikey, sizeof(ikey)); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen,
					vlen;
		const char *k = lsm_iter_key(it, &klen);
		const char *v;
		LsmRowEntry *e;
		uint64		seq;
		lsm_entry_type type;

		if (klen != LSM_ROWKEY_LEN + LSM_TRAILER_SIZE ||
			memcmp(k, rowkey, LSM_ROWKEY_LEN) != 0)
			break;
		v = lsm_iter_value(it, &vlen);
		if (vlen < sizeof(LsmRowHeader))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid entry for row " UINT64_FORMAT " in lsm relation \"%s\"",
							lsm_get_be64(rowkey), RelationGetRelationName(view->rel))));
		lsm_ikey_decode(k, klen, NULL, &seq, &type);
		if (lk->stopped && seq < lk->cutoff)
			break;				/* older than what was enough */
		if (*n > 0 && seq >= (*out)[*n - 1].seq)
			lk->sorted = false; /* a source out of seq order: read it all */
		if (*n == *max)
		{
			*max *= 2;
			*out = repalloc(*out, sizeof(LsmRowEntry) * *max);
		}
		e = &(*out)[(*n)++];
		e->seq = seq;
		e->type = type;
		memcpy(&e->hdr, v, sizeof(LsmRowHeader));
		e->link = 0;
		e->body = NULL;
		e->bodylen = 0;
		if (type == LSM_TYPE_DELETE && vlen >= sizeof(LsmRowHeader) + sizeof(LsmRowLink))
		{
			LsmRowLink	l;

			memcpy(&l, v + sizeof(LsmRowHeader), sizeof(l));
			e->link = l.new_rowid;
		}
		else if (type == LSM_TYPE_PUT)
		{
			e->bodylen = vlen - sizeof(LsmRowHeader);
			e->body = palloc(Max(e->bodylen, 1));
			memcpy(e->body, v + sizeof(LsmRowHeader), e->bodylen);
		}
		if (!lk->stopped && lk->sorted && lk->enough != NULL &&
			lk->enough(*out, *n, lk->arg))
		{
			lk->stopped = true;
			lk->cutoff = seq;
			break;
		}
	}
	if (lsm_iter_status(it) != LSM_OK)
		lsm_check_iter_status(view, it);
}

/*
 * Every entry of row rowid in the view, newest first, in *entries, valid
 * until the next call on this view.  Memtables are searched, then
 * SSTables whose bloom filter does not rule the row out.
 */
int
lsm_view_get_row(LsmReadView *view, uint64 rowid, LsmRowEntry **entries)
{
	return lsm_view_get_row_upto(view, rowid, entries, NULL, NULL);
}

/*
 * The newest entries of row rowid, newest first, down to the first point
 * at which enough(entries, n, arg) is true (called after each entry while
 * they come newest first), or all of them.  Sources are searched newest
 * first (memtables, then SSTables); once enough is said at seq c, a
 * source whose newest entry is older than c is skipped, and entries older
 * than c are left out.  A source that breaks seq order (it holds entries
 * newer than one already taken) is read whole and the result sorted; the
 * answer is then cut at c, so it is always an exact newest-first prefix
 * of the row's entries.  A row updated in place many times is read only
 * as deep as the caller needs.
 */
int
lsm_view_get_row_upto(LsmReadView *view, uint64 rowid, LsmRowEntry **entries,
					  LsmRowEnough enough, void *arg)
{
	char		rowkey[LSM_ROWKEY_LEN];
	int			n = 0;
	int			max = 8;
	int			i;
	MemoryContext old;
	ResourceOwner saved = CurrentResourceOwner;
	RowLookup	lk;

	lk.enough = enough;
	lk.arg = arg;
	lk.sorted = true;
	lk.stopped = false;
	lk.cutoff = 0;
	/* buffer pins of the view's files belong to the view's owner */
	CurrentResourceOwner = view->owner;
	MemoryContextReset(view->lookup_cxt);
	old = MemoryContextSwitchTo(view->lookup_cxt);
	lsm_put_be64(rowkey, rowid);
	*entries = palloc(sizeof(LsmRowEntry) * max);
	for (i = 0; i < view->nslots; i++)
	{
		lsm_memtable *mt = &lsm_slot(view->slots[i])->mt;
		lsm_iter   *it;

		if (lk.stopped && mt->max_seq < lk.cutoff)
			continue;
		it = lsm_memtable_iter_new(mt, &lsm_bytewise_comparator, &view->alloc);
		collect_from(view, it, rowkey, entries, &n, &max, &lk);
		lsm_iter_destroy(it);
	}
	for (i = 0; i < view->nssts; i++)
	{
		lsm_iter   *it;

		if (lk.stopped && view->ssts[i].max_seq < lk.cutoff)
			continue;
		if (!lsm_sst_reader_may_contain(view->readers[i], rowkey, LSM_ROWKEY_LEN))
			continue;
		it = lsm_sst_reader_iter(view->readers[i]);
		collect_from(view, it, rowkey, entries, &n, &max, &lk);
		lsm_iter_destroy(it);
	}
	CurrentResourceOwner = saved;
	MemoryContextSwitchTo(old);
	if (n > 1 && !lk.sorted)
	{
		int			j;

		qsort(*entries, n, sizeof(LsmRowEntry), entry_seq_desc);
		/*
		 * One entry in two sources (a flush's carried copy until the flush
		 * is done, or after a crash in between): keep one.
		 */
		for (i = 1, j = 1; i < n; i++)
			if ((*entries)[i].seq != (*entries)[j - 1].seq ||
				(*entries)[i].type != (*entries)[j - 1].type)
				(*entries)[j++] = (*entries)[i];
		n = j;
		if (lk.stopped)
			while (n > 0 && (*entries)[n - 1].seq < lk.cutoff)
				n--;
	}
	return n;
}

/*
 * A view of rel that includes every entry written so far: cached for the
 * transaction and reopened when the relation's memtables or manifest have
 * changed since (st->version).  Writers check a row through it after
 * taking the row's tuple lock, so whatever a previous holder of that lock
 * wrote is visible.  Closed at the end of the transaction.
 */
typedef struct CachedView
{
	RelFileNode rnode;
	uint64		incarnation;
	uint64		version;
	LsmReadView *view;
	struct CachedView *next;
} CachedView;

static CachedView *cached_views = NULL;

LsmReadView *
lsm_current_view(Relation rel)
{
	LsmRelState *st;
	CachedView *cv;
	uint64		version;
	ResourceOwner saved;

	lsm_batch_apply(rel);
	st = lsm_memstore_open(rel);

	pg_read_barrier();
	version = st->version;
	for (cv = cached_views; cv; cv = cv->next)
	{
		if (RelFileNodeEquals(cv->rnode, rel->rd_node))
		{
			if (cv->incarnation == st->incarnation && cv->version == version &&
				cv->view->rel == rel)
				return cv->view;
			lsm_read_view_close(cv->view);
			cv->view = NULL;
			break;
		}
	}
	if (cv == NULL)
	{
		cv = MemoryContextAllocZero(TopTransactionContext, sizeof(CachedView));
		cv->rnode = rel->rd_node;
		cv->next = cached_views;
		cached_views = cv;
	}
	/* pins belong to the transaction, not to the current statement */
	saved = CurrentResourceOwner;
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		cv->view = lsm_read_view_open(rel, NULL, TopTransactionContext);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = saved;
	}
	PG_END_TRY();
	cv->incarnation = st->incarnation;
	cv->version = version;
	return cv->view;
}

/* At transaction end (before resource owners are released). */
void
lsm_close_cached_views(void)
{
	CachedView *cv = cached_views;

	/* detach first: this runs in commit and abort callbacks */
	cached_views = NULL;
	for (; cv; cv = cv->next)
		if (cv->view)
			lsm_read_view_close(cv->view);
	/* the list itself lives in TopTransactionContext */
}
