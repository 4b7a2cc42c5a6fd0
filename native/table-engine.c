/*
 * ctdoctor's table-analysis fast path, compiled to WebAssembly by scripts/build-engine.sh.
 *
 * The TypeScript parser and TableAggregator (src/core/table/lineParser.ts,
 * src/core/analysis/tableAggregator.ts) are the reference. This engine takes only the lines it can
 * read with certainty (tcp, udp, icmp and icmpv6 over IPv4 or IPv6, the tokens the kernel and
 * conntrack-tools print) and aggregates them exactly as the reference would; every other line
 * (GRE, SCTP, DCCP, UDP-Lite, unknown protocols, a line mixing address families, anything odd or
 * malformed) is handed back, by byte range, to the TypeScript parser. The two summaries are merged
 * as mergeable summaries. test/unit/tableEngine.test.ts checks that both paths give the same
 * summary and sketches, eviction order included (docs/analysis-engine.md).
 *
 * Why C: one pass over a saved million-entry dump has to beat `awk | sort | uniq -c | sort -nr` by
 * 2x; a JavaScript byte loop alone costs ~1 ns per byte before any parsing or counting.
 */

#include <wasm_simd128.h>

#include "engine-abi.h" /* enums and sizes shared with the TypeScript side */

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef double f64;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

/* ---------------------------------------------------------------- memory */

extern u8 __heap_base;
static u32 heap_top = 0;

void *memset(void *target, int value, unsigned long length) {
  u8 *bytes = target;
  while (length--) *bytes++ = (u8)value;
  return target;
}

int memcmp(const void *left, const void *right, unsigned long length) {
  const u8 *a = left;
  const u8 *b = right;
  for (; length--; a++, b++)
    if (*a != *b) return *a - *b;
  return 0;
}

void *memcpy(void *target, const void *source, unsigned long length) {
  u8 *to = target;
  const u8 *from = source;
  while (length--) *to++ = *from++;
  return target;
}

/* Bump allocation of zeroed memory: everything lives as long as the instance (one analysis run). */
static void *allocate(u32 bytes) {
  if (heap_top == 0) heap_top = (u32)&__heap_base;
  u32 start = (heap_top + 15u) & ~15u;
  u32 end = start + bytes;
  u32 have = (u32)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    u32 pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) return 0;
  }
  heap_top = end;
  return (void *)start;
}

/* ---------------------------------------------------------------- hashing (as src/core/analysis/hash.ts) */

static inline u32 mix32(u32 h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* ---------------------------------------------------------------- HyperLogLog (as hyperLogLog.ts) */

static inline void hll_add(u8 *registers, u32 precision, u32 hash) {
  u32 index = hash >> (32 - precision);
  u32 rank = (u32)__builtin_clz((hash << precision) | (1u << (precision - 1))) + 1;
  if (rank > registers[index]) registers[index] = (u8)rank;
}

/* ---------------------------------------------------------------- Space-Saving top-K (as topK.ts) */

#define MAX_KEY_WORDS 10

/*
 * A key of n words: 1 for an IPv4 address, a /24 prefix, a zone or a mark; 2 for an IPv6 /64
 * prefix; 3 for an IPv4 client, server and port; 4 for an IPv6 address; 9 for an IPv6 client,
 * server and port. Services and DNAT backends (service_key, backend_key) take 2 to 10. Keys of
 * different lengths never match.
 */
typedef struct {
  u32 n;
  u32 w[MAX_KEY_WORDS];
} Key;

/* Keys are built per entry, several per line: only their first n words are ever read or set. */
static inline Key key1(u32 a) {
  Key key;
  key.n = 1;
  key.w[0] = a;
  return key;
}

/* What hangs off a tracked key and is dropped when it is evicted (TopK.onEvict in TypeScript). */
typedef struct {
  i32 *free_list;
  u32 free_count;
} Pool;

/*
 * A one-word key sits whole in its bucket beside its slot, so looking up an IPv4 address costs one
 * cache miss, not two: on a table of a million distinct addresses these lookups are most of the
 * counting time. Longer keys leave their hash in the bucket and are compared in the key store.
 */
typedef struct {
  u32 tag;
  u32 slot_plus_one; /* 0: empty; WHOLE_KEY set when tag is the whole one-word key */
} Bucket;
#define WHOLE_KEY 0x80000000u

/*
 * Per-slot data of a top list. Keys are stored as length, first word, and the other words
 * (rest_stride per slot) only for lists that take longer keys: IPv4 tables touch 5 bytes a key.
 */
typedef struct {
  u8 *lengths;
  u32 *words;
  u32 *rest;
  u32 *hashes; /* key_hash of each slot's key, kept for lists with longer keys: a prune re-indexes without rehashing */
  u32 *counts;
  u32 *errors;
  i32 *attached; /* pool index, -1 none (only with a pool) */
} Slots;

typedef struct {
  u32 capacity;
  u32 size;
  u32 mask;
  u32 rest_stride;
  u32 floor;
  u32 wide_keys; /* a key of more than one word was ever stored: one-word lists skip a check per slot */
  Slots at;
  Bucket *table;
  u32 *selection;
  Pool *pool;
  i32 last_slot;
  Key last_key;
} TopK;

static inline int same_key(const Key *x, const Key *y) {
  if (x->n != y->n || x->w[0] != y->w[0]) return 0;
  for (u32 i = 1; i < x->n; i++)
    if (x->w[i] != y->w[i]) return 0;
  return 1;
}

static inline int stored_key_is(const TopK *t, u32 slot, const Key *key) {
  if (t->at.lengths[slot] != key->n || t->at.words[slot] != key->w[0]) return 0;
  const u32 *rest = t->at.rest + slot * t->rest_stride;
  for (u32 i = 1; i < key->n; i++)
    if (rest[i - 1] != key->w[i]) return 0;
  return 1;
}

static inline u32 finish_hash(u32 h) {
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  return h ^ (h >> 12);
}

/* key_hash of a one-word key. */
static inline u32 word_hash(u32 word) { return finish_hash(word * 0x9e3779b1u ^ 1u); }

static inline u32 key_hash(const Key *key) {
  u32 h = key->w[0] * 0x9e3779b1u;
  for (u32 i = 1; i < key->n; i++) h = (h ^ key->w[i]) * 0x85ebca6bu;
  return finish_hash(h ^ key->n);
}

static int slots_init(Slots *at, u32 slots, u32 rest_stride) {
  at->lengths = allocate(slots);
  at->words = allocate(slots * sizeof(u32));
  at->rest = allocate(slots * rest_stride * sizeof(u32) + 4);
  at->hashes = allocate(slots * sizeof(u32));
  at->counts = allocate(slots * sizeof(u32));
  at->errors = allocate(slots * sizeof(u32));
  at->attached = allocate(slots * sizeof(i32));
  return at->lengths && at->words && at->rest && at->hashes && at->counts && at->errors && at->attached;
}

static int topk_init(TopK *t, u32 capacity, u32 max_words, Pool *pool) {
  u32 slots = 2 * capacity + 1;
  u32 size = 16;
  while (size < 4 * capacity) size *= 2;
  t->capacity = capacity;
  t->mask = size - 1;
  t->rest_stride = max_words - 1;
  if (!slots_init(&t->at, slots, t->rest_stride)) return 0;
  t->selection = allocate(slots * sizeof(u32));
  t->table = allocate(size * sizeof(Bucket));
  t->pool = pool;
  t->last_slot = -1;
  return t->selection && t->table;
}

/* The first empty bucket of a hash's probe sequence. */
static inline u32 empty_bucket(const TopK *t, u32 hash) {
  u32 h = hash & t->mask;
  while (t->table[h].slot_plus_one != 0) h = (h + 1) & t->mask;
  return h;
}

/*
 * Stores a new key in the next slot, indexed at `bucket` (empty_bucket of its hash, or where a
 * failed lookup stopped: the same bucket, found once).
 */
static i32 topk_insert(TopK *t, const Key *key, u32 hash, u32 bucket, u32 count, u32 error, i32 attached) {
  u32 slot = t->size++;
  if (key->n > 1) t->wide_keys = 1;
  t->at.lengths[slot] = (u8)key->n;
  t->at.words[slot] = key->w[0];
  u32 *rest = t->at.rest + slot * t->rest_stride;
  for (u32 i = 1; i < key->n; i++) rest[i - 1] = key->w[i];
  t->at.hashes[slot] = hash;
  t->at.counts[slot] = count;
  t->at.errors[slot] = error;
  t->at.attached[slot] = attached;
  u32 whole = key->n == 1;
  t->table[bucket] = (Bucket){whole ? key->w[0] : hash, (slot + 1) | (whole ? WHOLE_KEY : 0)};
  return (i32)slot;
}

/* topk_insert of a one-word key: the common case, without building a Key. */
static i32 topk_insert_word(TopK *t, u32 word, u32 bucket, u32 count, u32 error, i32 attached) {
  u32 slot = t->size++;
  t->at.lengths[slot] = 1;
  t->at.words[slot] = word;
  t->at.counts[slot] = count;
  t->at.errors[slot] = error;
  t->at.attached[slot] = attached;
  t->table[bucket] = (Bucket){word, (slot + 1) | WHOLE_KEY};
  return (i32)slot;
}

/* The k-th largest value (1-based): the same quickselect as kthLargest in topK.ts. */
static u32 kth_largest(u32 *values, u32 length, u32 k) {
  i32 low = 0;
  i32 high = (i32)length - 1;
  i32 target = (i32)k - 1;
  if (target < 0) target = 0;
  if (target > high) target = high;
  while (low < high) {
    u32 pivot = values[(u32)(low + high) >> 1];
    i32 i = low;
    i32 j = high;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        u32 swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (target <= j)
      high = j;
    else if (target >= i)
      low = i;
    else
      break;
  }
  return values[target];
}

/* Makes the key stored at `slot` findable. */
static void index_slot(TopK *t, u32 slot) {
  u32 whole = t->at.lengths[slot] == 1;
  u32 hash = whole ? word_hash(t->at.words[slot]) : t->at.hashes[slot];
  t->table[empty_bucket(t, hash)] =
      (Bucket){whole ? t->at.words[slot] : hash, (slot + 1) | (whole ? WHOLE_KEY : 0)};
}

/*
 * The prune's threshold (the capacity-th largest count, kth_largest's value) and the room left for
 * counts equal to it, from one pass over the counts instead of a copy, a quickselect and a second
 * pass. Every count is at least the floor (keys come in at floor + 1; a prune keeps counts at or
 * above its threshold and raises the floor to at most that), and where keys keep coming in once,
 * as on a scanned or a sprayed table, nearly all sit just above it: a histogram of the first
 * PRUNE_BUCKETS values from the floor up finds the threshold. Returns 0 when it lies outside them.
 */
#define PRUNE_BUCKETS 256
static int prune_threshold_by_histogram(const TopK *t, u32 *threshold, i32 *room) {
  u32 histogram[PRUNE_BUCKETS + 1]; /* the last one: floor + PRUNE_BUCKETS and above */
  memset(histogram, 0, sizeof histogram);
  const u32 *counts = t->at.counts;
  u32 floor = t->floor;
  for (u32 i = 0; i < t->size; i++) {
    if (counts[i] < floor) return 0;
    u32 above = counts[i] - floor;
    histogram[above < PRUNE_BUCKETS ? above : PRUNE_BUCKETS] += 1;
  }
  u32 larger = histogram[PRUNE_BUCKETS];
  if (larger >= t->capacity) return 0;
  for (u32 bucket = PRUNE_BUCKETS; bucket-- > 0;) {
    if (larger + histogram[bucket] >= t->capacity) {
      *threshold = floor + bucket;
      *room = (i32)(t->capacity - larger);
      return 1;
    }
    larger += histogram[bucket];
  }
  return 0;
}

/*
 * Keeps the `capacity` largest counts, in slot order, as TopK.prune does. The kept slots move down
 * in place (a slot only ever moves to a lower one), so a list needs one set of slot arrays, not two.
 */
static void topk_prune(TopK *t) {
  u32 size = t->size;
  u32 threshold;
  i32 room = (i32)t->capacity;
  if (!prune_threshold_by_histogram(t, &threshold, &room)) {
    for (u32 i = 0; i < size; i++) t->selection[i] = t->at.counts[i];
    threshold = kth_largest(t->selection, size, t->capacity);
    for (u32 i = 0; i < size; i++)
      if (t->at.counts[i] > threshold) room--;
  }
  Slots *at = &t->at;
  t->last_slot = -1;
  memset(t->table, 0, (t->mask + 1) * sizeof(Bucket));
  u32 kept = 0;
  for (u32 i = 0; i < size; i++) {
    u32 count = at->counts[i];
    if (count > threshold || (count == threshold && room-- > 0)) {
      if (kept != i) {
        at->lengths[kept] = at->lengths[i];
        at->words[kept] = at->words[i];
        for (u32 k = 0; k + 1 < at->lengths[i]; k++)
          at->rest[kept * t->rest_stride + k] = at->rest[i * t->rest_stride + k];
        at->hashes[kept] = at->hashes[i];
        at->counts[kept] = count;
        at->errors[kept] = at->errors[i];
        at->attached[kept] = at->attached[i];
      }
      index_slot(t, kept++);
      continue;
    }
    if (count > t->floor) t->floor = count;
    if (t->pool && at->attached[i] >= 0) t->pool->free_list[t->pool->free_count++] = at->attached[i];
  }
  t->size = kept;
}

static __attribute__((noinline)) i32 topk_add_lookup(TopK *t, const Key *key) {
  u32 hash = key_hash(key);
  u32 whole = key->n == 1;
  u32 tag = whole ? key->w[0] : hash;
  u32 h = hash & t->mask;
  for (;; h = (h + 1) & t->mask) {
    Bucket bucket = t->table[h];
    if (bucket.slot_plus_one == 0) break;
    if (bucket.tag != tag || ((bucket.slot_plus_one & WHOLE_KEY) != 0) != whole) continue;
    u32 slot = (bucket.slot_plus_one & ~WHOLE_KEY) - 1;
    if (whole || stored_key_is(t, slot, key)) {
      t->at.counts[slot] += 1;
      t->last_slot = (i32)slot;
      t->last_key.n = key->n;
      for (u32 i = 0; i < key->n; i++) t->last_key.w[i] = key->w[i];
      return (i32)slot;
    }
  }
  if (t->size >= 2 * t->capacity) {
    topk_prune(t);
    h = empty_bucket(t, hash);
  }
  return topk_insert(t, key, hash, h, t->floor + 1, t->floor, -1);
}

/* Adds one occurrence; returns the key's slot. Runs of one key (a zone, a mark) skip the lookup. */
INLINE i32 topk_add(TopK *t, const Key *key) {
  if (t->last_slot >= 0 && same_key(key, &t->last_key)) {
    t->at.counts[t->last_slot] += 1;
    return t->last_slot;
  }
  return topk_add_lookup(t, key);
}

/*
 * The same for a one-word key (an IPv4 address or prefix, a zone, a mark), without building a Key:
 * a Key passed by pointer lives in linear memory, and five of them per line cost ~15 % of a run.
 */
static __attribute__((noinline)) i32 topk_add_word_lookup(TopK *t, u32 word) {
  u32 hash = word_hash(word);
  u32 h = hash & t->mask;
  for (;; h = (h + 1) & t->mask) {
    Bucket bucket = t->table[h];
    if (bucket.slot_plus_one == 0) break;
    if (bucket.tag == word && (bucket.slot_plus_one & WHOLE_KEY)) {
      u32 slot = (bucket.slot_plus_one & ~WHOLE_KEY) - 1;
      t->at.counts[slot] += 1;
      t->last_slot = (i32)slot;
      t->last_key.n = 1;
      t->last_key.w[0] = word;
      return (i32)slot;
    }
  }
  if (t->size >= 2 * t->capacity) {
    topk_prune(t);
    h = empty_bucket(t, hash);
  }
  return topk_insert_word(t, word, h, t->floor + 1, t->floor, -1);
}

INLINE i32 topk_add_word(TopK *t, u32 word) {
  if (t->last_slot >= 0 && t->last_key.n == 1 && t->last_key.w[0] == word) {
    t->at.counts[t->last_slot] += 1;
    return t->last_slot;
  }
  return topk_add_word_lookup(t, word);
}

static int pool_init(Pool *pool, u32 entries) {
  pool->free_list = allocate(entries * sizeof(i32));
  if (!pool->free_list) return 0;
  /* Handed out from the end, so index 0 goes first. */
  for (u32 i = 0; i < entries; i++) pool->free_list[i] = (i32)(entries - 1 - i);
  pool->free_count = entries;
  return 1;
}

static i32 pool_take(Pool *pool) { return pool->free_list[--pool->free_count]; }

/* ---------------------------------------------------------------- aggregation state (as tableAggregator.ts) */

#define TIMEOUT_BUCKET_COUNT 6
#define LONG_REMAINING_SECONDS 3600
#define SPREAD_PRECISION 8
_Static_assert(SPREAD_REGISTERS == 1u << SPREAD_PRECISION, "SPREAD_REGISTERS in engine-abi.json");
#define SPREAD_AFTER 4
#define MAX_STATES 64
/*
 * Room for the states of both threads of a pipelined run: the main thread's before the hand-over
 * and the parse thread's (each at most MAX_STATES), so that adopting never fails where one engine
 * would have left the extra lines to the reference parser.
 */
_Static_assert(STATE_SLOTS == 2 * MAX_STATES, "STATE_SLOTS in engine-abi.json");
#define FLAG_UNREPLIED 1
#define FLAG_ASSURED 2
#define FLAG_OFFLOAD 4
#define FLAG_HW_OFFLOAD 8

static f64 entries;
static f64 proto_counts[256];
static f64 flag_counts[16];
static f64 nat_counts[4];
static f64 *tcp_dport;
static f64 *udp_dport;
static f64 *udp_unreplied_dport;
static u8 hll_src[1 << 14];
static u8 hll_dst[1 << 14];
static u8 hll_udp_unreplied_src[1 << 12];
static f64 reflection_sport[REFLECTION_PORT_COUNT];
static f64 established_hours[ESTABLISHED_HOUR_BUCKETS];
static TopK tops[TOP_COUNT];
static Pool spread_pool;
static u8 *spread_registers; /* per pool index: ports sketch, then hosts sketch */
static Pool pair_pool;
static f64 *pair_long_lived;
static f64 *pair_remaining_sum;
/* Per pair, over its entries with a printed timeout: how many, how many idle long, idle sum and minimum. */
static f64 *pair_timed;
static f64 *pair_idle_long;
static f64 *pair_idle_sum;
static f64 *pair_idle_min;
/* idle = this - remaining timeout (the namespace's nf_conntrack_tcp_timeout_established). */
static f64 established_timeout;
/* Distinct-source sketches of unreplied and TIME_WAIT services (SPREAD_REGISTERS per pool index). */
static Pool unreplied_pool;
static u8 *unreplied_sketches;
static Pool time_wait_pool;
static u8 *time_wait_sketches;
/* Per DNAT backend: entries never answered, and the sum of remaining timeouts. */
static Pool backend_pool;
static f64 *backend_unreplied;
static f64 *backend_remaining_sum;

static u32 state_count;
/* States in the order their first entry was counted: the order TableAggregator's Map keeps. */
static u32 state_order[STATE_SLOTS];
static u32 counted_states;
static u8 state_names[STATE_SLOTS][MAX_STATE_BYTES];
static u32 state_lengths[STATE_SLOTS];
static f64 state_entries[STATE_SLOTS];
static f64 state_remaining[STATE_SLOTS * TIMEOUT_BUCKET_COUNT];
static i32 syn_sent_state = -1;
static i32 established_state = -1;
static i32 time_wait_state = -1;

/* Source port -> 1 + index in REFLECTION_PORTS: 19, 53, 123, 389, 1900, 11211. */
static u8 reflection_index[65536];

static const f64 timeout_bounds[TIMEOUT_BUCKET_COUNT - 1] = {10, 60, 300, 3600, 86400};

/* The TypeScript side refuses more (MAX_CAPACITY); this keeps 4 * capacity far from overflow. */
#define MAX_CAPACITY (1u << 24)

/* The per-key data of the detector lists, one entry per slot a list can hold. */
static int signal_pools_init(void) {
  u32 slots = 2 * SIGNAL_CAPACITY + 1;
  spread_registers = allocate(slots * 2 * SPREAD_REGISTERS);
  unreplied_sketches = allocate(slots * SPREAD_REGISTERS);
  time_wait_sketches = allocate(slots * SPREAD_REGISTERS);
  f64 **per_slot[] = {&pair_long_lived, &pair_remaining_sum, &pair_timed,        &pair_idle_long,
                      &pair_idle_sum,   &pair_idle_min,      &backend_unreplied, &backend_remaining_sum};
  for (u32 i = 0; i < sizeof per_slot / sizeof per_slot[0]; i++)
    if (!(*per_slot[i] = allocate(slots * sizeof(f64)))) return 0;
  return spread_registers && unreplied_sketches && time_wait_sketches && pool_init(&spread_pool, slots) &&
         pool_init(&pair_pool, slots) && pool_init(&unreplied_pool, slots) && pool_init(&time_wait_pool, slots) &&
         pool_init(&backend_pool, slots);
}

/* The longest key's text and its separator: a DNAT backend of two full IPv6 addresses is 94 bytes. */
#define MAX_KEY_TEXT 100
static u8 *key_text;

EXPORT(engine_init) u32 engine_init(u32 capacity, f64 established_timeout_seconds) {
  if (capacity == 0 || capacity > MAX_CAPACITY) return 0;
  established_timeout = established_timeout_seconds;
  static const u32 reflection_ports[6] = {19, 53, 123, 389, 1900, 11211};
  for (u32 i = 0; i < 6; i++) reflection_index[reflection_ports[i]] = (u8)(i + 1);
  tcp_dport = allocate(65536 * sizeof(f64));
  udp_dport = allocate(65536 * sizeof(f64));
  udp_unreplied_dport = allocate(65536 * sizeof(f64));
  /* Allocated now: memory grown later would detach the views a caller holds while it reads keys. */
  key_text = allocate((2 * SIGNAL_CAPACITY + 1) * MAX_KEY_TEXT);
  if (!tcp_dport || !udp_dport || !udp_unreplied_dport || !key_text || !signal_pools_init()) return 0;
  u32 signal = SIGNAL_CAPACITY;
  return topk_init(&tops[TOP_SRC], capacity, 4, 0) && topk_init(&tops[TOP_DST], capacity, 4, 0) &&
         topk_init(&tops[TOP_SRC_PREFIX], capacity, 2, 0) && topk_init(&tops[TOP_ZONES], 1024, 1, 0) &&
         topk_init(&tops[TOP_MARKS], 1024, 1, 0) && topk_init(&tops[TOP_SCAN], signal, 4, &spread_pool) &&
         topk_init(&tops[TOP_REFLECTION_SRC], signal, 4, 0) &&
         topk_init(&tops[TOP_ESTABLISHED], signal, 9, &pair_pool) &&
         topk_init(&tops[TOP_UNREPLIED_SERVICES], signal, 5, &unreplied_pool) &&
         topk_init(&tops[TOP_UNREPLIED_SOURCES], signal, 9, 0) &&
         topk_init(&tops[TOP_REPLIED_SERVICES], signal, 5, 0) &&
         topk_init(&tops[TOP_TIME_WAIT_SERVICES], signal, 5, &time_wait_pool) &&
         topk_init(&tops[TOP_TIME_WAIT_SOURCES], signal, 9, 0) &&
         topk_init(&tops[TOP_NAT_BACKENDS], signal, MAX_KEY_WORDS, &backend_pool);
}

static u8 *input;
static u32 input_capacity;

EXPORT(input_buffer) u32 input_buffer(u32 bytes) {
  input = allocate(bytes);
  input_capacity = input ? bytes : 0;
  return (u32)input;
}

static i32 intern_state_within(const u8 *name, u32 length, u32 limit) {
  for (u32 i = 0; i < state_count; i++) {
    if (state_lengths[i] != length) continue;
    u32 k = 0;
    while (k < length && state_names[i][k] == name[k]) k++;
    if (k == length) return (i32)i;
  }
  if (state_count >= limit || length > MAX_STATE_BYTES) return -1;
  u32 id = state_count++;
  for (u32 k = 0; k < length; k++) state_names[id][k] = name[k];
  state_lengths[id] = length;
  if (length == 8 && __builtin_memcmp(name, "SYN_SENT", 8) == 0) syn_sent_state = (i32)id;
  if (length == 11 && __builtin_memcmp(name, "ESTABLISHED", 11) == 0) established_state = (i32)id;
  if (length == 9 && __builtin_memcmp(name, "TIME_WAIT", 9) == 0) time_wait_state = (i32)id;
  return (i32)id;
}

/* A state met while parsing: beyond MAX_STATES its lines are the reference parser's. */
static i32 intern_state(const u8 *name, u32 length) { return intern_state_within(name, length, MAX_STATES); }

/* ---------------------------------------------------------------- parsing (as lineParser.ts) */

/* An IPv4 address in w[0] (family 4; w[1..3] unset), or the four big-endian words of an IPv6 address. */
typedef struct {
  u32 w[4];
  u32 family;
} Addr;

/* Keys read at most once per tuple (the reference refuses a doubled one): bits of Tuple.seen. */
#define SEEN_ID 1
#define SEEN_PACKETS 2
#define SEEN_BYTES 4

typedef struct {
  Addr src, dst;
  i32 sport, dport;
  u8 has_src, has_dst, seen;
} Tuple;

static inline Tuple empty_tuple(void) { return (Tuple){.sport = -1, .dport = -1}; }

/* IPv4 addresses use w[0] only; the other words are left unset. */
static inline int same_addr(const Addr *x, const Addr *y) {
  return x->w[0] == y->w[0] && x->family == y->family &&
         (x->family == 4 || (x->w[1] == y->w[1] && x->w[2] == y->w[2] && x->w[3] == y->w[3]));
}

typedef struct {
  u32 proto;
  u32 family;
  i32 state; /* interned id */
  f64 timeout; /* -1 when not printed */
  u32 flags;
  i64 mark, zone;
  u32 use_seen;
  Tuple orig, reply;
} Entry;

#define SPACE ' '
/* Kernel field ranges, as lineParser.ts holds them: struct nf_conntrack_tuple, nf_conntrack_zone. */
#define U8_MAX 0xffu
#define U16_MAX 0xffffu
#define U32_MAX 0xffffffffu

INLINE u32 skip_token(const u8 *b, u32 pos, u32 end) {
  while (pos < end && b[pos] != SPACE) pos++;
  return pos;
}

/* Decimal digits up to a space or the end (at most 15, as readDecimal); returns 0 if not one. */
INLINE int read_decimal(const u8 *b, u32 *pos, u32 end, u64 *value) {
  u32 p = *pos;
  u32 start = p;
  u64 v = 0;
  for (; p < end; p++) {
    u8 c = b[p];
    if (c == SPACE) break;
    if ((u8)(c - '0') > 9) return 0;
    v = v * 10 + (u64)(c - '0');
  }
  if (p == start || p - start > 15) return 0;
  *pos = p;
  *value = v;
  return 1;
}

/*
 * A dotted quad exactly as readAddress accepts it (1-3 digits per octet, leading zeros allowed, each
 * at most 255, then a space or the end); anything else (IPv6, junk) returns 0. Every line in the
 * input buffer ends in '\n' or '\r' at `end`, so no digit or dot test needs a bounds check.
 */
INLINE int read_ipv4(const u8 *b, u32 *pos, u32 end, u32 *address) {
  u32 p = *pos;
  u32 value = 0;
  for (u32 octet = 0; octet < 4; octet++) {
    u32 v = (u32)(u8)(b[p] - '0');
    if (v > 9) return 0;
    p++;
    u32 d = (u32)(u8)(b[p] - '0');
    if (d <= 9) {
      v = v * 10 + d;
      p++;
      d = (u32)(u8)(b[p] - '0');
      if (d <= 9) {
        v = v * 10 + d;
        p++;
      }
    }
    if (v > 255) return 0;
    value = value << 8 | v;
    if (octet < 3) {
      if (b[p] != '.') return 0;
      p++;
    }
  }
  if (p < end && b[p] != SPACE) return 0;
  *address = value;
  *pos = p;
  return 1;
}

static inline u32 hex_value(u8 c) {
  if ((u8)(c - '0') <= 9) return (u32)(c - '0');
  if (c >= 'a' && c <= 'f') return (u32)(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return (u32)(c - 'A' + 10);
  return 16;
}

/* The embedded dotted quad of an IPv6 address, as dottedQuad in ipv6Bytes.ts. */
static int dotted_quad(const u8 *b, u32 start, u32 end, u32 *out) {
  u32 value = 0, octet = 0, digits = 0, dots = 0;
  for (u32 i = start; i < end; i++) {
    u8 c = b[i];
    if (c == '.') {
      if (digits == 0 || octet > 255 || ++dots > 3) return 0;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if ((u8)(c - '0') <= 9 && digits < 3) {
      octet = octet * 10 + (u32)(c - '0');
      digits++;
    } else
      return 0;
  }
  if (dots != 3 || digits == 0 || octet > 255) return 0;
  *out = value * 256 + octet;
  return 1;
}

/* An IPv6 address in any form parseGroups (ipv6Bytes.ts) accepts, up to a space or the end. */
static __attribute__((noinline)) int read_ipv6(const u8 *b, u32 *pos, u32 end, Addr *out) {
  u32 start = *pos;
  u32 stop = skip_token(b, start, end);
  u32 groups[8];
  u32 count = 0;
  i32 gap = -1;
  u32 i = start;
  if (stop - start < 2) return 0;
  if (b[i] == ':') {
    if (b[i + 1] != ':') return 0;
    gap = 0;
    i += 2;
  }
  while (i < stop) {
    u32 value = 0, digits = 0, j = i;
    for (; j < stop; j++) {
      u32 hex = hex_value(b[j]);
      if (hex > 15) break;
      value = value * 16 + hex;
      digits++;
    }
    if (j < stop && b[j] == '.') {
      u32 v4;
      if (!dotted_quad(b, i, stop, &v4) || count > 6) return 0;
      groups[count++] = v4 >> 16;
      groups[count++] = v4 & 0xffff;
      i = stop;
      break;
    }
    if (digits == 0 || digits > 4 || count >= 8) return 0;
    groups[count++] = value;
    i = j;
    if (i == stop) break;
    if (b[i] != ':') return 0;
    i++;
    if (i < stop && b[i] == ':') {
      if (gap >= 0) return 0;
      gap = (i32)count;
      i++;
    } else if (i == stop)
      return 0;
  }
  if (gap < 0) {
    if (count != 8) return 0;
  } else {
    if (count > 7) return 0;
    u32 tail = count - (u32)gap;
    for (u32 k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
    for (u32 k = (u32)gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (u32 k = 0; k < 4; k++) out->w[k] = groups[2 * k] << 16 | groups[2 * k + 1];
  out->family = 6;
  *pos = stop;
  return 1;
}

INLINE int read_address(const u8 *b, u32 *pos, u32 end, Addr *out) {
  if (read_ipv4(b, pos, end, &out->w[0])) {
    out->family = 4;
    return 1;
  }
  return read_ipv6(b, pos, end, out);
}

INLINE int token_is(const u8 *b, u32 start, u32 end, const char *text, u32 length) {
  return end - start == length && __builtin_memcmp(b + start, text, length) == 0;
}

static int parse_body(const u8 *b, u32 pos, u32 end, Entry *e, int in_reply) {
  Tuple *tuple = in_reply ? &e->reply : &e->orig;
  u64 n;
  while (pos < end) {
    while (pos < end && b[pos] == SPACE) pos++;
    if (pos >= end) break;
    u32 token = pos;
    u8 byte0 = b[pos];
    if (byte0 == '[') {
      pos = skip_token(b, pos, end);
      /* The kernel's exact words, as the reference reads them. */
      if (token_is(b, token, pos, "[UNREPLIED]", 11))
        e->flags |= FLAG_UNREPLIED;
      else if (token_is(b, token, pos, "[ASSURED]", 9))
        e->flags |= FLAG_ASSURED;
      else if (token_is(b, token, pos, "[OFFLOAD]", 9))
        e->flags |= FLAG_OFFLOAD;
      else if (token_is(b, token, pos, "[HW_OFFLOAD]", 12))
        e->flags |= FLAG_HW_OFFLOAD;
      continue;
    }
    while (pos < end && b[pos] != '=' && b[pos] != SPACE) pos++;
    if (pos >= end || b[pos] != '=') return 0;
    u32 key_length = pos - token;
    u8 k1 = key_length > 1 ? b[token + 1] : '=';
    pos++;
    switch (key_length) {
      case 2:
        if (byte0 == 'i') {
          if ((tuple->seen & SEEN_ID) || !read_decimal(b, &pos, end, &n) || n > U16_MAX) return 0;
          tuple->seen |= SEEN_ID;
        } else
          pos = skip_token(b, pos, end);
        break;
      case 3:
        if (byte0 == 's' && k1 == 'r') {
          if (tuple->has_src) {
            if (in_reply) return 0; /* a third src= */
            in_reply = 1;
            tuple = &e->reply;
          }
          if (!read_address(b, &pos, end, &tuple->src)) return 0;
          tuple->has_src = 1;
        } else if (byte0 == 'd' && k1 == 's') {
          if (tuple->has_dst || !read_address(b, &pos, end, &tuple->dst)) return 0;
          tuple->has_dst = 1;
        } else if (byte0 == 'u') {
          if (e->use_seen || !read_decimal(b, &pos, end, &n) || n > U32_MAX) return 0;
          e->use_seen = 1;
        } else
          pos = skip_token(b, pos, end);
        break;
      case 4: /* type= code= (ICMP's, in the port slots), mark= zone= */
      case 5: /* sport= dport= bytes= */
        {
          int source = byte0 == (key_length == 4 ? 't' : 's');
          int destination = byte0 == (key_length == 4 ? 'c' : 'd');
          int counter = key_length == 4 ? byte0 == 'm' || byte0 == 'z' : byte0 == 'b';
          if (!source && !destination && !counter) {
            pos = skip_token(b, pos, end); /* unknown keys are tolerated, as by the reference */
            break;
          }
          if (!read_decimal(b, &pos, end, &n)) return 0;
          if (source || destination) {
            /* ICMP's type and code are a u8 each, ports a u16 */
            if (n > (key_length == 4 ? U8_MAX : U16_MAX) || (source ? tuple->sport : tuple->dport) >= 0) return 0;
            if (source)
              tuple->sport = (i32)n;
            else
              tuple->dport = (i32)n;
          } else if (key_length == 4 && (byte0 == 'm' || byte0 == 'z')) {
            if (n > (byte0 == 'm' ? U32_MAX : U16_MAX) || (byte0 == 'm' ? e->mark : e->zone) >= 0) return 0;
            if (byte0 == 'm')
              e->mark = (i64)n;
            else
              e->zone = (i64)n;
          } else if (key_length == 5 && byte0 == 'b') {
            if (tuple->seen & SEEN_BYTES) return 0;
            tuple->seen |= SEEN_BYTES;
          }
        }
        break;
      case 6:
        if (byte0 == 'd' || (byte0 == 's' && k1 == 'r')) return 0; /* GRE keys: left to the reference */
        pos = skip_token(b, pos, end);
        break;
      case 7:
        if (byte0 == 'p') {
          if ((tuple->seen & SEEN_PACKETS) || !read_decimal(b, &pos, end, &n)) return 0;
          tuple->seen |= SEEN_PACKETS;
        } else
          pos = skip_token(b, pos, end);
        break;
      case 9:
        if (byte0 == 'z') {
          if (!read_decimal(b, &pos, end, &n) || n > U16_MAX) return 0; /* zone-orig */
        } else
          pos = skip_token(b, pos, end);
        break;
      case 10:
        if (byte0 == 'z' || byte0 == 'd') {
          if (!read_decimal(b, &pos, end, &n) || (byte0 == 'z' && n > U16_MAX)) return 0; /* zone-reply, delta-time */
        } else
          pos = skip_token(b, pos, end);
        break;
      default:
        pos = skip_token(b, pos, end);
        break;
    }
  }
  return 1;
}

INLINE u32 load32(const u8 *p) {
  u32 word;
  __builtin_memcpy(&word, p, 4);
  return word;
}

INLINE u64 load64(const u8 *p) {
  u64 word;
  __builtin_memcpy(&word, p, 8);
  return word;
}

/* Little-endian words of the tokens the kernel prints, compared a word at a time. */
#define WORD4(a, b, c, d) ((u32)(a) | (u32)(b) << 8 | (u32)(c) << 16 | (u32)(d) << 24)
#define SRC_EQ WORD4('s', 'r', 'c', '=')
#define DST_EQ WORD4('d', 's', 't', '=')
#define SPOR WORD4('s', 'p', 'o', 'r')
#define DPOR WORD4('d', 'p', 'o', 'r')
#define TYPE_EQ WORD4('t', 'y', 'p', 'e')
#define CODE_EQ WORD4('c', 'o', 'd', 'e')
#define PACK WORD4('p', 'a', 'c', 'k')
#define BYTE WORD4('b', 'y', 't', 'e')

/* " xxxx=" at p: a space, a four-byte word, then `tail` more bytes of the key including '='. */
INLINE int key_at(const u8 *b, u32 p, u32 end, u32 word, const char *tail, u32 tail_length) {
  if (p + 5 + tail_length > end || b[p] != SPACE || load32(b + p + 1) != word) return 0;
  for (u32 i = 0; i < tail_length; i++)
    if (b[p + 5 + i] != (u8)tail[i]) return 0;
  return 1;
}

INLINE int port_at(const u8 *b, u32 *pos, u32 end, i32 *port, u32 max) {
  u64 n;
  if (!read_decimal(b, pos, end, &n) || n > max) return 0;
  *port = (i32)n;
  return 1;
}

/* Where the orig tuple's values are in the line: src, dst, sport, dport as [start, end) pairs. */
typedef struct {
  u32 at[8];
} TupleText;

/*
 * The tuple exactly as the kernel and conntrack-tools print it: `src= dst=`, then `sport= dport=`
 * or `type= code= id=`, then `packets= bytes=` when accounting is on. The same fields parse_body
 * would read, without looking for each '='.
 */
INLINE int fast_tuple(const u8 *b, u32 *pos, u32 end, Tuple *t, u32 proto, TupleText *text) {
  u32 p = *pos;
  u64 n;
  if (p + 4 > end || load32(b + p) != SRC_EQ) return 0;
  p += 4;
  text->at[0] = p;
  if (!read_address(b, &p, end, &t->src)) return 0;
  text->at[1] = p;
  if (p + 5 > end || b[p] != SPACE || load32(b + p + 1) != DST_EQ) return 0;
  p += 5;
  text->at[2] = p;
  if (!read_address(b, &p, end, &t->dst)) return 0;
  text->at[3] = p;
  t->has_src = t->has_dst = 1;
  if (proto == 1 || proto == 58) {
    if (!key_at(b, p, end, TYPE_EQ, "=", 1)) return 0;
    p += 6;
    if (!port_at(b, &p, end, &t->sport, U8_MAX)) return 0;
    if (!key_at(b, p, end, CODE_EQ, "=", 1)) return 0;
    p += 6;
    if (!port_at(b, &p, end, &t->dport, U8_MAX)) return 0;
    if (p + 4 > end || b[p] != SPACE || b[p + 1] != 'i' || b[p + 2] != 'd' || b[p + 3] != '=') return 0;
    p += 4;
    if (!read_decimal(b, &p, end, &n) || n > U16_MAX) return 0;
    t->seen |= SEEN_ID;
  } else {
    if (!key_at(b, p, end, SPOR, "t=", 2)) return 0;
    p += 7;
    text->at[4] = p;
    if (!port_at(b, &p, end, &t->sport, U16_MAX)) return 0;
    text->at[5] = p;
    if (!key_at(b, p, end, DPOR, "t=", 2)) return 0;
    p += 7;
    text->at[6] = p;
    if (!port_at(b, &p, end, &t->dport, U16_MAX)) return 0;
    text->at[7] = p;
  }
  if (key_at(b, p, end, PACK, "ets=", 4)) {
    p += 9;
    if (!read_decimal(b, &p, end, &n) || !key_at(b, p, end, BYTE, "s=", 2)) return 0;
    p += 7;
    if (!read_decimal(b, &p, end, &n)) return 0;
    t->seen |= SEEN_PACKETS | SEEN_BYTES;
  }
  *pos = p;
  return 1;
}

/* Both tuples and the [UNREPLIED] between them; returns where the trailing attributes start, or 0. */
/* n bytes equal, with at most four word compares for the short values of a tuple (n <= 16). */
INLINE int same_bytes(const u8 *x, const u8 *y, u32 n) {
  if (n > 16) return memcmp(x, y, n) == 0;
  if (n >= 8) return load64(x) == load64(y) && load64(x + n - 8) == load64(y + n - 8);
  if (n >= 4) return load32(x) == load32(y) && load32(x + n - 4) == load32(y + n - 4);
  for (u32 i = 0; i < n; i++)
    if (x[i] != y[i]) return 0;
  return 1;
}

/* "key=" then exactly the bytes of value [from, to) of the orig tuple, then a space or the end. */
INLINE int mirrored_value(const u8 *b, u32 *pos, u32 end, u32 key_length, u32 from, u32 to) {
  u32 p = *pos + key_length;
  u32 n = to - from;
  if (p + n > end || !same_bytes(b + p, b + from, n) || (p + n < end && b[p + n] != SPACE)) return 0;
  *pos = p + n;
  return 1;
}

/*
 * The reply tuple of a flow without NAT repeats the orig tuple's values swapped. Comparing the text
 * is cheaper than parsing it again; the values are the orig ones, already read and checked. Any
 * difference (NAT, ICMP, counters) and the reply is parsed in full.
 */
INLINE int mirrored_reply(const u8 *b, u32 *pos, u32 end, const TupleText *text, Entry *e) {
  u32 p = *pos;
  if (p + 4 > end || load32(b + p) != SRC_EQ || !mirrored_value(b, &p, end, 4, text->at[2], text->at[3])) return 0;
  if (p + 5 > end || load32(b + p + 1) != DST_EQ || !mirrored_value(b, &p, end, 5, text->at[0], text->at[1]))
    return 0;
  if (!key_at(b, p, end, SPOR, "t=", 2) || !mirrored_value(b, &p, end, 7, text->at[6], text->at[7])) return 0;
  if (!key_at(b, p, end, DPOR, "t=", 2) || !mirrored_value(b, &p, end, 7, text->at[4], text->at[5])) return 0;
  if (key_at(b, p, end, PACK, "ets=", 4)) return 0; /* accounting: the full parse reads the counters */
  const Tuple *o = &e->orig;
  e->reply = (Tuple){.src = o->dst, .dst = o->src, .sport = o->dport, .dport = o->sport, .has_src = 1, .has_dst = 1};
  *pos = p;
  return 1;
}

static u32 fast_tuples(const u8 *b, u32 p, u32 end, Entry *e) {
  TupleText text;
  if (!fast_tuple(b, &p, end, &e->orig, e->proto, &text)) return 0;
  if (p + 12 <= end && b[p] == SPACE && load64(b + p + 1) == load64((const u8 *)"[UNREPLI") &&
      b[p + 9] == 'E' && b[p + 10] == 'D' && b[p + 11] == ']' && (p + 12 == end || b[p + 12] == SPACE)) {
    e->flags |= FLAG_UNREPLIED;
    p += 12;
  }
  if (p >= end || b[p] != SPACE) return 0;
  p++;
  if ((e->proto == 6 || e->proto == 17) && mirrored_reply(b, &p, end, &text, e)) return p;
  if (!fast_tuple(b, &p, end, &e->reply, e->proto, &text)) return 0;
  return p;
}

INLINE u32 next_token(const u8 *b, u32 *pos, u32 end) {
  u32 p = *pos;
  while (p < end && b[p] == SPACE) p++;
  *pos = p;
  return skip_token(b, p, end);
}

/*
 * "ipv4     2 tcp      6 ": procfs and conntrack-tools print the names padded to eight columns
 * (%-8s). Matched a word at a time; any other spacing takes the token-by-token path.
 */
INLINE u32 fixed_header(const u8 *b, u32 p, u32 end, u32 *proto, u32 *family) {
  if (p + 12 > end) return 0;
  u64 l3 = load64(b + p);
  if (l3 == load64((const u8 *)"ipv4    ") && b[p + 8] == SPACE && b[p + 9] == '2' && b[p + 10] == SPACE) {
    *family = 4;
    p += 11;
  } else if (l3 == load64((const u8 *)"ipv6    ") && b[p + 8] == SPACE && b[p + 9] == '1' && b[p + 10] == '0' &&
             b[p + 11] == SPACE) {
    *family = 6;
    p += 12;
  }
  if (p + 12 > end) return 0;
  u64 name = load64(b + p);
  if (name == load64((const u8 *)"tcp     ") && b[p + 8] == SPACE && b[p + 9] == '6' && b[p + 10] == SPACE) {
    *proto = 6;
    return p + 10;
  }
  if (name == load64((const u8 *)"udp     ") && b[p + 8] == SPACE && b[p + 9] == '1' && b[p + 10] == '7' &&
      b[p + 11] == SPACE) {
    *proto = 17;
    return p + 11;
  }
  if (name == load64((const u8 *)"icmp    ") && b[p + 8] == SPACE && b[p + 9] == '1' && b[p + 10] == SPACE) {
    *proto = 1;
    return p + 10;
  }
  if (name == load64((const u8 *)"icmpv6  ") && b[p + 8] == SPACE && b[p + 9] == '5' && b[p + 10] == '8' &&
      b[p + 11] == SPACE) {
    *proto = 58;
    return p + 11;
  }
  return 0;
}

/*
 * The state token: one compare against the last state of the same length (tables mix TCP states
 * line by line, and they mostly differ in length), not a search and a character check.
 */
static i32 state_by_length[MAX_STATE_BYTES + 1] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                   -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                   -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

INLINE i32 state_at(const u8 *b, u32 start, u32 stop) {
  u32 length = stop - start;
  if (length > MAX_STATE_BYTES) return -1;
  i32 cached = state_by_length[length];
  if (cached >= 0 && same_bytes(b + start, state_names[cached], length)) return cached;
  for (u32 i = start; i < stop; i++) {
    u8 c = b[i];
    if (!((c >= 'A' && c <= 'Z') || c == '_' || (u8)(c - '0') <= 9)) return -1;
  }
  i32 id = intern_state(b + start, length);
  if (id >= 0) state_by_length[length] = id;
  return id;
}

/* " mark=N zone=N use=N" after [ASSURED]: the usual tail, word-matched; returns where it stopped. */
INLINE u32 fast_tail(const u8 *b, u32 p, u32 end, Entry *e) {
  u64 n;
  if (p + 10 <= end && b[p] == SPACE && load64(b + p + 1) == load64((const u8 *)"[ASSURED") && b[p + 9] == ']' &&
      (p + 10 == end || b[p + 10] == SPACE)) {
    e->flags |= FLAG_ASSURED;
    p += 10;
  }
  if (key_at(b, p, end, WORD4('m', 'a', 'r', 'k'), "=", 1)) {
    u32 q = p + 6;
    if (!read_decimal(b, &q, end, &n) || n > U32_MAX) return p;
    e->mark = (i64)n;
    p = q;
  }
  if (key_at(b, p, end, WORD4('z', 'o', 'n', 'e'), "=", 1)) {
    u32 q = p + 6;
    if (!read_decimal(b, &q, end, &n) || n > U16_MAX) return p;
    e->zone = (i64)n;
    p = q;
  }
  if (p + 5 <= end && b[p] == SPACE && load32(b + p + 1) == WORD4('u', 's', 'e', '=')) {
    u32 q = p + 5;
    if (!read_decimal(b, &q, end, &n) || n > U32_MAX) return p;
    e->use_seen = 1;
    p = q;
  }
  return p;
}

/* A line without a state token counts under its protocol's name; looked up once, not per line. */
static i32 stateless_states[4] = {-1, -1, -1, -1};

static i32 stateless_state(u32 proto) {
  u32 which = proto == 6 ? 0 : proto == 17 ? 1 : proto == 1 ? 2 : 3;
  if (stateless_states[which] < 0) {
    static const char *names[4] = {"tcp", "udp", "icmp", "icmpv6"};
    static const u32 lengths[4] = {3, 3, 4, 6};
    stateless_states[which] = intern_state((const u8 *)names[which], lengths[which]);
  }
  return stateless_states[which];
}

static int parse_line(const u8 *b, u32 pos, u32 end, Entry *e) {
  u32 start = pos;
  u32 stop;
  u64 n;
  u32 proto = 0;
  u32 header_family = 0; /* from the "ipv4 2" / "ipv6 10" prefix, when printed */
  u32 header_end = fixed_header(b, pos, end, &proto, &header_family);
  if (header_end) {
    stop = header_end;
    goto header_done;
  }
  stop = next_token(b, &start, end);
  if (token_is(b, start, stop, "ipv4", 4) || token_is(b, start, stop, "ipv6", 4)) {
    header_family = b[start + 3] == '4' ? 4 : 6;
    start = stop;
    stop = next_token(b, &start, end);
    u32 cursor = start;
    /* AF_INET 2, AF_INET6 10 */
    if (!read_decimal(b, &cursor, stop, &n) || n != (header_family == 4 ? 2u : 10u)) return 0;
    start = stop;
    stop = next_token(b, &start, end);
  }
  if (token_is(b, start, stop, "tcp", 3))
    proto = 6;
  else if (token_is(b, start, stop, "udp", 3))
    proto = 17;
  else if (token_is(b, start, stop, "icmp", 4))
    proto = 1;
  else if (token_is(b, start, stop, "icmpv6", 6))
    proto = 58;
  else
    return 0;
  start = stop;
  stop = next_token(b, &start, end);
  u32 cursor = start;
  if (!read_decimal(b, &cursor, stop, &n) || n != proto) return 0;
header_done:
  e->proto = proto;
  e->timeout = -1;
  e->state = -1;
  e->flags = 0;
  e->mark = -1;
  e->zone = -1;
  e->use_seen = 0;
  e->orig = empty_tuple();
  e->reply = empty_tuple();
  start = stop;
  stop = next_token(b, &start, end);
  if (start < stop && (u8)(b[start] - '0') <= 9) {
    u32 digits = start;
    if (!read_decimal(b, &digits, stop, &n)) return 0;
    e->timeout = (f64)n;
    start = stop;
    stop = next_token(b, &start, end);
  }
  if (start < stop && b[start] >= 'A' && b[start] <= 'Z') {
    e->state = state_at(b, start, stop);
    if (e->state < 0) return 0;
    start = stop;
  } else if (start < stop && b[start] != '[') {
    /* The body starts with key=value; a bare word here is left to the reference. */
    u32 i = start;
    while (i < stop && b[i] != '=') i++;
    if (i == stop) return 0;
  }
  while (start < end && b[start] == SPACE) start++;
  u32 attributes = fast_tuples(b, start, end, e);
  if (attributes) {
    attributes = fast_tail(b, attributes, end, e);
    if (attributes < end && !parse_body(b, attributes, end, e, 1)) return 0;
  } else {
    e->flags = 0;
    e->mark = -1;
    e->zone = -1;
    e->use_seen = 0;
    e->orig = empty_tuple();
    e->reply = empty_tuple();
    if (!parse_body(b, start, end, e, 0)) return 0;
  }
  if (!e->orig.has_src || !e->orig.has_dst || !e->reply.has_src || !e->reply.has_dst) return 0;
  if ((proto == 6 || proto == 17) &&
      (e->orig.sport < 0 || e->orig.dport < 0 || e->reply.sport < 0 || e->reply.dport < 0))
    return 0;
  /* One family for the whole line, as printed: anything mixed is the reference's to judge. */
  u32 family = e->orig.src.family;
  if (e->orig.dst.family != family || e->reply.src.family != family || e->reply.dst.family != family ||
      (header_family != 0 && header_family != family))
    return 0;
  e->family = family;
  if (e->state < 0) {
    e->state = stateless_state(proto);
    if (e->state < 0) return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------- one entry into every breakdown */


/* An address as a top-list key: one word for IPv4, four for IPv6. */
static inline Key address_key(const Addr *a) {
  if (a->family == 4) return key1(a->w[0]);
  Key key;
  key.n = 4;
  for (u32 i = 0; i < 4; i++) key.w[i] = a->w[i];
  return key;
}

/* The /24 (IPv4, a number like prefixKey's) or /64 (IPv6, the first two words) of a source. */
static inline Key prefix_key(const Addr *a) {
  if (a->family == 4) return key1(a->w[0] & ~0xffu);
  Key key;
  key.n = 2;
  key.w[0] = a->w[0];
  key.w[1] = a->w[1];
  return key;
}

static inline Key pair_key(const Addr *client, const Addr *server, u32 port) {
  Key key;
  if (client->family == 4) {
    key.n = 3;
    key.w[0] = client->w[0];
    key.w[1] = server->w[0];
    key.w[2] = port;
    return key;
  }
  key.n = 9;
  for (u32 i = 0; i < 4; i++) {
    key.w[i] = client->w[i];
    key.w[4 + i] = server->w[i];
  }
  key.w[8] = port;
  return key;
}

/* Kept out of line: a Key lives in linear memory, which IPv4 lines should not pay for. */
static __attribute__((noinline)) i32 topk_add_wide_address(TopK *t, const Addr *a) {
  Key key = address_key(a);
  return topk_add(t, &key);
}

static __attribute__((noinline)) i32 topk_add_wide_prefix(TopK *t, const Addr *a) {
  Key key = prefix_key(a);
  return topk_add(t, &key);
}

static __attribute__((noinline)) i32 topk_add_pair(TopK *t, const Addr *client, const Addr *server, u32 port) {
  Key key = pair_key(client, server, port);
  return topk_add(t, &key);
}

#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME 0x01000193u

static inline u32 fnv_char(u32 h, u32 c) { return (h ^ c) * FNV_PRIME; }

/* ---------------------------------------------------------------- addresses as text (address.ts) */

/* Decimal digits of value; returns their count. */
static u32 write_decimal(u8 *out, u32 value) {
  u8 digits[10];
  u32 count = 0;
  do {
    digits[count++] = (u8)('0' + value % 10);
    value /= 10;
  } while (value);
  for (u32 i = 0; i < count; i++) out[i] = digits[count - 1 - i];
  return count;
}

/* A 16-bit group in lowercase hex without leading zeros. */
static u32 write_hex_group(u8 *out, u32 group) {
  int shift = 12;
  while (shift > 0 && (group >> shift) == 0) shift -= 4;
  u32 n = 0;
  for (; shift >= 0; shift -= 4) out[n++] = (u8) "0123456789abcdef"[(group >> shift) & 15];
  return n;
}

/* Dotted quad of an IPv4 address (ipv4ToString). */
static u32 write_ipv4(u8 *out, u32 word) {
  u32 n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    n += write_decimal(out + n, (word >> shift) & 255);
    if (shift) out[n++] = '.';
  }
  return n;
}

/* RFC 5952 text of an IPv6 address's four big-endian words (formatIPv6Groups); at most 45 bytes. */
static u32 write_ipv6(u8 *out, const u32 *w) {
  u32 groups[8];
  for (u32 k = 0; k < 4; k++) {
    groups[2 * k] = w[k] >> 16;
    groups[2 * k + 1] = w[k] & 0xffff;
  }
  if (!groups[0] && !groups[1] && !groups[2] && !groups[3] && !groups[4] && groups[5] == 0xffff) {
    /* IPv4-mapped: the dotted quad, as inet_ntop prints it */
    const char *prefix = "::ffff:";
    u32 n = 0;
    while (prefix[n]) {
      out[n] = (u8)prefix[n];
      n++;
    }
    return n + write_ipv4(out + n, w[3]);
  }
  i32 best_start = -1;
  u32 best_length = 1; /* a single zero group is not compressed (RFC 5952 4.2.2) */
  for (u32 index = 0; index < 8;) {
    if (groups[index] != 0) {
      index++;
      continue;
    }
    u32 run_end = index;
    while (run_end < 8 && groups[run_end] == 0) run_end++;
    if (run_end - index > best_length) {
      best_start = (i32)index;
      best_length = run_end - index;
    }
    index = run_end;
  }
  u32 n = 0;
  for (u32 index = 0; index < 8; index++) {
    if ((i32)index == best_start) {
      out[n++] = ':';
      if (index == 0) out[n++] = ':';
      index += best_length - 1;
      continue;
    }
    n += write_hex_group(out + n, groups[index]);
    if (index < 7) out[n++] = ':';
  }
  return n;
}

/* An address given as its words: one for IPv4, four for IPv6. */
static u32 write_address(u8 *out, const u32 *w, u32 word_count) {
  return word_count == 1 ? write_ipv4(out, w[0]) : write_ipv6(out, w);
}

/*
 * hashString of the address's RFC 5952 text: the reference keys IPv6 addresses by that text and
 * hashes it for HyperLogLog.
 */
static __attribute__((noinline)) u32 ipv6_text_hash(const Addr *a) {
  u8 text[48];
  u32 length = write_ipv6(text, a->w);
  u32 h = FNV_OFFSET;
  for (u32 i = 0; i < length; i++) h = fnv_char(h, text[i]);
  return mix32(h);
}

static inline u32 address_hash(const Addr *a) { return a->family == 4 ? mix32(a->w[0]) : ipv6_text_hash(a); }

static f64 l3_counts[2];

/* One occurrence of an address (IPv4 as one word, IPv6 as four); returns its slot. */
INLINE i32 topk_add_address(TopK *t, const Addr *a) {
  if (a->family == 4) return topk_add_word(t, a->w[0]);
  return topk_add_wide_address(t, a);
}

/*
 * An entry reduced to what the summary counts: of the reply tuple, the NAT kind and the source (a
 * DNAT backend). The parse thread of a pipelined run hands these to the counting thread
 * (count_records).
 */
typedef struct {
  f64 timeout; /* -1 when not printed */
  Addr src, dst; /* the original direction */
  Addr reply_src;
  u32 mark, zone; /* 0 when not printed, as the reference keys them */
  i32 sport, dport, reply_sport;
  u8 proto, state, flags, nat; /* nat: 0 none, 1 SNAT, 2 DNAT, 3 both */
} Record;
_Static_assert(sizeof(Record) == RECORD_BYTES, "RECORD_BYTES in engine-abi.json");

static void to_record(const Entry *e, Record *out) {
  const Tuple *o = &e->orig;
  const Tuple *r = &e->reply;
  int ports = e->proto == 6 || e->proto == 17;
  int snat = !same_addr(&r->dst, &o->src) || (ports && r->dport != o->sport);
  int dnat = !same_addr(&r->src, &o->dst) || (ports && r->sport != o->dport);
  out->timeout = e->timeout;
  out->src = o->src;
  out->dst = o->dst;
  out->mark = e->mark > 0 ? (u32)e->mark : 0;
  out->zone = e->zone > 0 ? (u32)e->zone : 0;
  out->sport = o->sport;
  out->dport = o->dport;
  out->reply_src = r->src;
  out->reply_sport = r->sport;
  out->proto = (u8)e->proto;
  out->state = (u8)e->state;
  out->flags = (u8)e->flags;
  out->nat = (u8)(snat && dnat ? 3 : snat ? 1 : dnat ? 2 : 0);
}

/* The kernel re-arms an entry's timer to the full timeout on every packet: what is gone is idle time. */
static void add_idle(i32 stats, f64 remaining) {
  f64 idle = established_timeout - remaining;
  if (idle < 0) idle = 0;
  pair_timed[stats] += 1;
  pair_idle_sum[stats] += idle;
  if (idle >= IDLE_LONG_SECONDS) pair_idle_long[stats] += 1;
  if (idle < pair_idle_min[stats]) pair_idle_min[stats] = idle;
}

/* Appends an address's words (one for IPv4, four for IPv6) to a key. */
static inline void append_address(Key *key, const Addr *a) {
  if (a->family == 4) {
    key->w[key->n++] = a->w[0];
    return;
  }
  for (u32 i = 0; i < 4; i++) key->w[key->n++] = a->w[i];
}

/* (proto, destination, port): proto and port in one word, then the address (the reference's serviceKey). */
static inline Key service_key(const Record *e) {
  Key key;
  key.n = 1;
  key.w[0] = (u32)e->proto << 16 | (u32)e->dport;
  append_address(&key, &e->dst);
  return key;
}

/*
 * Which class-conditional lists this engine counts (SERVICE_LISTS_BY_SERVICE, _BY_SOURCE). They
 * are independent lists, so a pipelined run can share them out (serviceListsAtHandOver in
 * parsePipeline.ts): its parse thread counts the (service, source) lists, the counting thread the
 * lists by service, each seeing every entry in file order. A parse-only engine counts none unless
 * told (count_services).
 */
static u32 counted_service_lists = SERVICE_LISTS_BY_SERVICE | SERVICE_LISTS_BY_SOURCE;

EXPORT(count_services) void count_services(u32 lists) { counted_service_lists = lists; }

/* One entry of a class to a service: the service, the (service, source) pair, the service's sketch. */
static void add_service_class(TopK *services, TopK *sources, Pool *pool, u8 *sketches, const Key *service,
                              const Addr *src, u32 src_hash) {
  if (counted_service_lists & SERVICE_LISTS_BY_SOURCE) {
    Key joint = *service;
    append_address(&joint, src);
    topk_add(sources, &joint);
  }
  if (!(counted_service_lists & SERVICE_LISTS_BY_SERVICE)) return;
  i32 slot = topk_add(services, service);
  i32 sketch = services->at.attached[slot];
  if (sketch < 0 && services->at.counts[slot] - services->at.errors[slot] >= SPREAD_AFTER) {
    sketch = pool_take(pool);
    memset(sketches + (u32)sketch * SPREAD_REGISTERS, 0, SPREAD_REGISTERS);
    services->at.attached[slot] = sketch;
  }
  if (sketch >= 0) hll_add(sketches + (u32)sketch * SPREAD_REGISTERS, SPREAD_PRECISION, src_hash);
}

/* A DNAT'd entry by (proto, VIP, port, backend, backend port): proto and port, backend port, VIP, backend. */
static void add_nat_backend(const Record *e, int unreplied) {
  Key key;
  key.n = 2;
  key.w[0] = (u32)e->proto << 16 | (u32)e->dport;
  key.w[1] = (u32)e->reply_sport;
  append_address(&key, &e->dst);
  append_address(&key, &e->reply_src);
  TopK *backends = &tops[TOP_NAT_BACKENDS];
  i32 slot = topk_add(backends, &key);
  i32 stats = backends->at.attached[slot];
  if (stats < 0) {
    stats = pool_take(&backend_pool);
    backend_unreplied[stats] = 0;
    backend_remaining_sum[stats] = 0;
    backends->at.attached[slot] = stats;
  }
  if (unreplied) backend_unreplied[stats] += 1;
  backend_remaining_sum[stats] += e->timeout > 0 ? e->timeout : 0;
}

/* The class-conditional tallies of a tcp/udp entry (tableAggregator.ts addServiceSignals). */
static __attribute__((noinline)) void add_service_signals(const Record *e, int unreplied, u32 src_hash) {
  Key service = service_key(e);
  if (unreplied)
    add_service_class(&tops[TOP_UNREPLIED_SERVICES], &tops[TOP_UNREPLIED_SOURCES], &unreplied_pool,
                      unreplied_sketches, &service, &e->src, src_hash);
  else if (counted_service_lists & SERVICE_LISTS_BY_SERVICE)
    topk_add(&tops[TOP_REPLIED_SERVICES], &service);
  if (e->proto == 6 && e->state == time_wait_state)
    add_service_class(&tops[TOP_TIME_WAIT_SERVICES], &tops[TOP_TIME_WAIT_SOURCES], &time_wait_pool,
                      time_wait_sketches, &service, &e->src, src_hash);
  if (e->nat >= 2 && (counted_service_lists & SERVICE_LISTS_BY_SERVICE)) add_nat_backend(e, unreplied);
}

static void add_record(const Record *e) {
  entries += 1;
  l3_counts[e->src.family == 6] += 1;
  u32 proto = e->proto;
  proto_counts[proto] += 1;
  if (state_entries[e->state] == 0) state_order[counted_states++] = (u32)e->state;
  state_entries[e->state] += 1;
  flag_counts[e->flags & 15] += 1;
  const Record *o = e;
  nat_counts[e->nat] += 1;
  topk_add_word(&tops[TOP_ZONES], e->zone);
  topk_add_word(&tops[TOP_MARKS], e->mark);
  topk_add_address(&tops[TOP_SRC], &o->src);
  topk_add_address(&tops[TOP_DST], &o->dst);
  if (e->src.family == 4)
    topk_add_word(&tops[TOP_SRC_PREFIX], o->src.w[0] & ~0xffu);
  else
    topk_add_wide_prefix(&tops[TOP_SRC_PREFIX], &o->src);
  u32 src_hash = address_hash(&o->src);
  u32 dst_hash = address_hash(&o->dst);
  hll_add(hll_src, 14, src_hash);
  hll_add(hll_dst, 14, dst_hash);
  if (proto == 6)
    tcp_dport[o->dport] += 1;
  else if (proto == 17)
    udp_dport[o->dport] += 1;
  if (e->timeout >= 0) {
    u32 bucket = 0;
    while (bucket < TIMEOUT_BUCKET_COUNT - 1 && e->timeout >= timeout_bounds[bucket]) bucket++;
    state_remaining[e->state * TIMEOUT_BUCKET_COUNT + bucket] += 1;
  }
  int unreplied = (e->flags & FLAG_UNREPLIED) != 0;
  if (unreplied || (proto == 6 && e->state == syn_sent_state)) {
    TopK *scan = &tops[TOP_SCAN];
    i32 slot = topk_add_address(scan, &o->src);
    i32 spread = scan->at.attached[slot];
    if (spread < 0 && scan->at.counts[slot] - scan->at.errors[slot] >= SPREAD_AFTER) {
      spread = pool_take(&spread_pool);
      memset(spread_registers + (u32)spread * 2 * SPREAD_REGISTERS, 0, 2 * SPREAD_REGISTERS);
      scan->at.attached[slot] = spread;
    }
    if (spread >= 0) {
      u8 *registers = spread_registers + (u32)spread * 2 * SPREAD_REGISTERS;
      hll_add(registers, SPREAD_PRECISION, mix32((u32)o->dport * 257u + proto));
      hll_add(registers + SPREAD_REGISTERS, SPREAD_PRECISION, dst_hash);
    }
  }
  if (proto == 17 && unreplied) {
    hll_add(hll_udp_unreplied_src, 12, src_hash);
    udp_unreplied_dport[o->dport] += 1;
    u32 reflection = reflection_index[o->sport];
    if (reflection > 0) {
      reflection_sport[reflection - 1] += 1;
      topk_add_address(&tops[TOP_REFLECTION_SRC], &o->src);
    }
  }
  if (proto == 6 && e->state == established_state) {
    TopK *established = &tops[TOP_ESTABLISHED];
    i32 slot = topk_add_pair(established, &o->src, &o->dst, (u32)o->dport);
    i32 stats = established->at.attached[slot];
    if (stats < 0) {
      stats = pool_take(&pair_pool);
      pair_long_lived[stats] = 0;
      pair_remaining_sum[stats] = 0;
      pair_timed[stats] = 0;
      pair_idle_long[stats] = 0;
      pair_idle_sum[stats] = 0;
      pair_idle_min[stats] = __builtin_inf();
      established->at.attached[slot] = stats;
    }
    f64 remaining = e->timeout > 0 ? e->timeout : 0;
    pair_remaining_sum[stats] += remaining;
    if (remaining > LONG_REMAINING_SECONDS) pair_long_lived[stats] += 1;
    if (e->timeout >= 0) add_idle(stats, remaining);
    u32 last = ESTABLISHED_HOUR_BUCKETS - 1;
    established_hours[remaining >= last * 3600.0 ? last : (u32)(remaining / 3600)] += 1;
  }
  if ((proto == 6 || proto == 17) && counted_service_lists) add_service_signals(e, unreplied, src_hash);
}

/* A parse-only engine's share of the counting: the service tallies of the records it hands over. */
static void add_parsed_service_signals(const Record *records, u32 count) {
  for (u32 i = 0; i < count; i++) {
    const Record *e = &records[i];
    if (e->proto == 6 || e->proto == 17)
      add_service_signals(e, (e->flags & FLAG_UNREPLIED) != 0, address_hash(&e->src));
  }
}

/* ---------------------------------------------------------------- scanning a buffer of lines */

#define MAX_FALLBACK 4096
static u32 fallback_ranges[2 * MAX_FALLBACK];
/* Per fallback line, the lines before it in the same scan call: the reference numbers its lines. */
static u32 fallback_lines[MAX_FALLBACK];
static u32 fallback_count;
static u32 scanned_lines;

/* Position of the next newline at or after pos, or end: sixteen bytes at a time. */
INLINE u32 find_newline(const u8 *b, u32 pos, u32 end) {
  const v128_t newlines = wasm_i8x16_splat('\n');
  while (pos + 16 <= end) {
    u32 found = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(b + pos), newlines));
    if (found) return pos + (u32)__builtin_ctz(found);
    pos += 16;
  }
  while (pos < end && b[pos] != '\n') pos++;
  return pos;
}

/*
 * Entries are parsed a batch at a time, then the buckets their addresses fall in are read in one
 * tight loop: independent loads overlap, so the cache misses of a million distinct addresses are
 * paid in parallel instead of one after another inside add_record (WebAssembly has no prefetch).
 * Each top list still sees its keys in line order, so the results are those of one-by-one adds.
 */
#define BATCH 128
static u32 touched;

static void add_batch(const Record *records, u32 count) {
  const TopK *src = &tops[TOP_SRC];
  const TopK *dst = &tops[TOP_DST];
  u32 sink = 0;
  for (u32 i = 0; i < count; i++) {
    if (records[i].src.family != 4) continue;
    sink ^= src->table[word_hash(records[i].src.w[0]) & src->mask].tag;
    sink ^= dst->table[word_hash(records[i].dst.w[0]) & dst->mask].tag;
  }
  touched ^= sink;
  for (u32 i = 0; i < count; i++) add_record(&records[i]);
}

/*
 * Where parsed records go. Counting (the default): a batch, counted when full. Parsing only (the
 * parse thread of a pipelined run, after record_output): the output array, read by the caller.
 */
static Record counting_batch[BATCH];
static Record *batch = counting_batch;
static u32 batched;
static Record *record_output;
static u32 record_output_capacity;
static u32 records_out;
static Entry parsed;

/* Turns the engine into a parser that leaves its records in an array of `count` for the caller. */
EXPORT(record_output_init) u32 record_output_init(u32 count) {
  /* A batch is written whole before it is handed over: a smaller array would overflow. */
  if (count < BATCH) return 0;
  record_output = allocate(count * sizeof(Record));
  if (!record_output) return 0;
  record_output_capacity = count;
  batch = record_output;
  counted_service_lists = 0;
  return (u32)record_output;
}

EXPORT(record_output_count) u32 record_output_count(void) { return records_out; }

/* The caller has taken the records: the array fills from its start again. */
EXPORT(record_output_clear) void record_output_clear(void) {
  records_out = 0;
  batch = record_output;
}

/* Ends a batch; returns 0 when the output array has no room for another. */
static int flush_batch(void) {
  if (!record_output) {
    add_batch(batch, batched);
    batched = 0;
    return 1;
  }
  if (counted_service_lists) add_parsed_service_signals(batch, batched);
  records_out += batched;
  batched = 0;
  batch = record_output + records_out;
  return records_out + BATCH <= record_output_capacity;
}

/*
 * Parses (and, unless parsing only, aggregates) the complete lines of input[start, end). Lines it
 * does not take are listed as [start, end) pairs in fallback_ranges. Returns where it stopped:
 * after the last complete line, or earlier when the fallback list or the record output is full
 * (call again after reading them).
 */
EXPORT(scan) u32 scan(u32 start, u32 end) {
  const u8 *b = input;
  fallback_count = 0;
  u32 lines = 0;
  u32 pos = start;
  while (pos < end) {
    u32 newline = find_newline(b, pos, end);
    if (newline >= end) break;
    /* CRLF dumps: the reference strips one CR before its length check. */
    u32 line_end = newline > pos && b[newline - 1] == '\r' ? newline - 1 : newline;
    u32 next = newline + 1;
    if (line_end - pos <= 4096 && parse_line(b, pos, line_end, &parsed)) {
      to_record(&parsed, &batch[batched]);
      if (++batched == BATCH && !flush_batch()) {
        lines++;
        pos = next;
        break;
      }
    } else {
      fallback_ranges[2 * fallback_count] = pos;
      fallback_ranges[2 * fallback_count + 1] = newline;
      fallback_lines[fallback_count] = lines;
      if (++fallback_count == MAX_FALLBACK) {
        lines++;
        pos = next;
        break;
      }
    }
    lines++;
    pos = next;
  }
  scanned_lines = lines;
  flush_batch();
  return pos;
}


/*
 * The parse thread interns state names in the order it meets them: its ids are mapped to this
 * engine's before counting. The name is read from the input buffer.
 */
static u8 foreign_states[MAX_STATES];

EXPORT(adopt_state) u32 adopt_state(u32 foreign_id, u32 length) {
  i32 id = foreign_id < MAX_STATES ? intern_state_within(input, length, STATE_SLOTS) : -1;
  if (id < 0) return 0;
  foreign_states[foreign_id] = (u8)id;
  return 1;
}

/* Counts `count` records written at `records` (by a parse-only engine: see record_output_init). */
EXPORT(count_records) void count_records(Record *records, u32 count) {
  for (u32 i = 0; i < count; i++) records[i].state = (u8)foreign_states[records[i].state];
  for (u32 done = 0; done < count; done += BATCH) {
    u32 n = count - done < BATCH ? count - done : BATCH;
    add_batch(records + done, n);
  }
}

/* ---------------------------------------------------------------- reading the results */

EXPORT(fallback_list) u32 fallback_list(void) { return (u32)fallback_ranges; }
EXPORT(fallback_length) u32 fallback_length(void) { return fallback_count; }
EXPORT(fallback_line_list) u32 fallback_line_list(void) { return (u32)fallback_lines; }
EXPORT(scan_lines) u32 scan_lines(void) { return scanned_lines; }
EXPORT(entry_count) f64 entry_count(void) { return entries; }

/* The loader refuses a .wasm whose enums and sizes are not its own (src/core/analysis/tableEngine.ts). */
EXPORT(abi_version) u32 abi_version(void) { return ENGINE_ABI_VERSION; }

/*
 * Keys as the reference's text, written here rather than in JavaScript: at the end of a run the
 * multi-word lists hold tens of thousands of keys, and code that runs once, cold, took ~50 ms to
 * format them there.
 */

/* A service, its (service, source) pair or its DNAT backend, from their words (service_key, add_nat_backend). */
static u32 write_service_key(u8 *out, u32 kind, const u32 *w, u32 n) {
  u32 from = kind == KEY_TEXT_BACKEND ? 2 : 1;
  u32 addresses = kind == KEY_TEXT_SERVICE ? 1 : 2;
  u32 wide = n - from == 4 * addresses ? 4 : 1;
  u32 length = write_decimal(out, w[0] >> 16);
  out[length++] = ' ';
  length += write_address(out + length, w + from, wide);
  out[length++] = ' ';
  length += write_decimal(out + length, w[0] & 0xffff);
  if (kind == KEY_TEXT_SERVICE) return length;
  out[length++] = ' ';
  length += write_address(out + length, w + from + wide, wide);
  if (kind == KEY_TEXT_SERVICE_SOURCE) return length;
  out[length++] = ' ';
  return length + write_decimal(out + length, w[1]);
}

/* A client/server/port pair (pair_key): "client server port". */
static u32 write_pair_key(u8 *out, const u32 *w, u32 n) {
  u32 wide = n == 9 ? 4 : 1;
  u32 length = write_address(out, w, wide);
  out[length++] = ' ';
  length += write_address(out + length, w + wide, wide);
  out[length++] = ' ';
  return length + write_decimal(out + length, w[2 * wide]);
}

/*
 * The keys of a detector list (one of SIGNAL_CAPACITY keys) as text, in slot order with a newline
 * between two, at result(RESULT_KEY_TEXTS). Returns the byte count (0 for a list of another size).
 */
EXPORT(key_texts) u32 key_texts(u32 which, u32 kind) {
  const TopK *t = &tops[which];
  if (t->capacity > SIGNAL_CAPACITY) return 0;
  u32 words[MAX_KEY_WORDS];
  u32 length = 0;
  for (u32 slot = 0; slot < t->size; slot++) {
    u32 n = t->at.lengths[slot];
    const u32 *rest = t->at.rest + slot * t->rest_stride;
    words[0] = t->at.words[slot];
    for (u32 i = 1; i < n; i++) words[i] = rest[i - 1];
    if (slot) key_text[length++] = '\n';
    u8 *out = key_text + length;
    length += kind == KEY_TEXT_PAIR ? write_pair_key(out, words, n) : write_service_key(out, kind, words, n);
  }
  return length;
}

/* Pointers (or, for counts, values) of the result arrays; the TypeScript side reads them in place. */
EXPORT(result) u32 result(u32 what) {
  switch (what) {
    case RESULT_PROTO: return (u32)proto_counts;
    case RESULT_FLAGS: return (u32)flag_counts;
    case RESULT_NAT: return (u32)nat_counts;
    case RESULT_TCP_DPORT: return (u32)tcp_dport;
    case RESULT_UDP_DPORT: return (u32)udp_dport;
    case RESULT_UDP_UNREPLIED_DPORT: return (u32)udp_unreplied_dport;
    case RESULT_HLL_SRC: return (u32)hll_src;
    case RESULT_HLL_DST: return (u32)hll_dst;
    case RESULT_HLL_UDP_UNREPLIED_SRC: return (u32)hll_udp_unreplied_src;
    case RESULT_REFLECTION_SPORT: return (u32)reflection_sport;
    case RESULT_ESTABLISHED_HOURS: return (u32)established_hours;
    case RESULT_STATE_COUNT: return counted_states;
    case RESULT_STATES_INTERNED: return state_count;
    case RESULT_STATE_ORDER: return (u32)state_order;
    case RESULT_STATE_NAMES: return (u32)state_names;
    case RESULT_STATE_LENGTHS: return (u32)state_lengths;
    case RESULT_STATE_ENTRIES: return (u32)state_entries;
    case RESULT_STATE_REMAINING: return (u32)state_remaining;
    case RESULT_SPREAD_REGISTERS: return (u32)spread_registers;
    case RESULT_PAIR_LONG_LIVED: return (u32)pair_long_lived;
    case RESULT_PAIR_REMAINING_SUM: return (u32)pair_remaining_sum;
    case RESULT_L3: return (u32)l3_counts;
    case RESULT_UNREPLIED_SKETCHES: return (u32)unreplied_sketches;
    case RESULT_TIME_WAIT_SKETCHES: return (u32)time_wait_sketches;
    case RESULT_PAIR_TIMED: return (u32)pair_timed;
    case RESULT_PAIR_IDLE_LONG: return (u32)pair_idle_long;
    case RESULT_PAIR_IDLE_SUM: return (u32)pair_idle_sum;
    case RESULT_PAIR_IDLE_MIN: return (u32)pair_idle_min;
    case RESULT_BACKEND_UNREPLIED: return (u32)backend_unreplied;
    case RESULT_BACKEND_REMAINING_SUM: return (u32)backend_remaining_sum;
    case RESULT_KEY_TEXTS: return (u32)key_text;
    default: return 0;
  }
}

EXPORT(top_field) u32 top_field(u32 which, u32 field) {
  TopK *t = &tops[which];
  switch (field) {
    case TOP_FIELD_CAPACITY: return t->capacity;
    case TOP_FIELD_SIZE: return t->size;
    case TOP_FIELD_LENGTHS: return (u32)t->at.lengths;
    case TOP_FIELD_WORDS: return (u32)t->at.words;
    case TOP_FIELD_REST: return (u32)t->at.rest;
    case TOP_FIELD_REST_STRIDE: return t->rest_stride;
    case TOP_FIELD_WIDE_KEYS: return t->wide_keys;
    case TOP_FIELD_COUNTS: return (u32)t->at.counts;
    case TOP_FIELD_ERRORS: return (u32)t->at.errors;
    case TOP_FIELD_ATTACHED: return (u32)t->at.attached;

    default: return 0;
  }
}

EXPORT(top_floor) u32 top_floor(u32 which) { return tops[which].floor; }
