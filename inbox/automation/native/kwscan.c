/*
 * _kwscan: the keyword engine's per-message work in C.
 *
 * keywords.py prepares the keywords (normalised, accent-folded, one pyahocorasick automaton)
 * and hands them to a Scanner. Per message, the Scanner
 *   1. normalises the text (NFC + case folding, variation selectors dropped) with the
 *      per-code-point tables of kwscan_tables.h, keeping the way back to the original
 *      offsets exactly as normalize.normalize_with_offsets does. Clusters (a character
 *      followed by combining marks, e.g. NFD Vietnamese) are normalised by
 *      normalize.normalize_cluster once and remembered in a small cache; texts with rarer
 *      characters (ß, İ, NIKHAHIT, a leading mark) go to the Python function whole;
 *   2. accent-folds it when any keyword ignores accents;
 *   3. runs the automaton (its own C iterator) and applies the boundary / anchor checks;
 *   4. builds the KeywordMatch tuples (or only collects the keys).
 * The semantics are normalize.py's and keywords.py's Python engine: the tests run both on
 * the same inputs and compare.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "kwscan_tables.h"

/* Candidate codes (see keywords.py, _native_sides): kind | left << 3 | right << 4 |
 * space << 5 (1 = checked on the accent-folded text) | accented << 6. */
enum { K_FREE = 0, K_WORD = 1, K_START = 2, K_EXACT = 3, K_START_PUNCT = 4, K_EXACT_PUNCT = 5 };
#define C_KIND 7
#define C_LEFT 8
#define C_RIGHT 16
#define C_FOLDED 32
#define C_ACCENTED 64 /* the keyword is not its own accent-folded form */

static inline Py_ssize_t tbl(Py_UCS4 c) {
    return ((Py_ssize_t)KW_STAGE1[c >> 8] << 8) | (c & 0xFF);
}
static inline unsigned flags_of(Py_UCS4 c) { return KW_FLAGS[tbl(c)]; }

/* Set by configure(): the result type, the Python fallbacks and the sort key. */
static PyTypeObject *match_type;
static PyObject *cluster_fn;  /* normalize.normalize_cluster(str) -> (piece, aligned) */
static PyObject *offsets_fn;  /* normalize.normalize_with_offsets(str) -> Normalized */
static PyObject *sort_key;    /* attrgetter("end", "start") */
static PyObject *str_text, *str_starts, *str_ends, *str_expanded, *str_sort, *str_key;

/* ------------------------------------------------------------------ cluster cache */

#define CACHE_SLOTS 4096 /* power of two */
#define CLUSTER_MAX 4
typedef struct {
    Py_UCS4 key[CLUSTER_MAX];
    Py_UCS4 piece[CLUSTER_MAX];
    uint8_t klen, plen, aligned, used;
} CacheEntry;
static CacheEntry cache[CACHE_SLOTS];
static int cache_used;

static CacheEntry *cache_slot(const Py_UCS4 *key, int klen, int *found) {
    uint32_t h = 2166136261u;
    for (int k = 0; k < klen; k++) h = (h ^ key[k]) * 16777619u;
    for (uint32_t probe = 0; probe < CACHE_SLOTS; probe++) {
        CacheEntry *e = &cache[(h + probe) & (CACHE_SLOTS - 1)];
        if (!e->used) {
            *found = 0;
            return e;
        }
        if (e->klen == klen && memcmp(e->key, key, klen * sizeof(Py_UCS4)) == 0) {
            *found = 1;
            return e;
        }
    }
    *found = 0;
    return NULL;
}

/* The normalised form of text[lo:hi] (a character and its marks): from the cache, else
 * from Python. Returns 0, -1 on a Python error, 1 when the piece is too long for the fast
 * path (the caller then normalises the whole text in Python). */
static int cluster_piece(PyObject *text, int kind, const void *data, Py_ssize_t lo,
                         Py_ssize_t hi, Py_UCS4 *piece, int *plen, int *aligned) {
    Py_UCS4 key[CLUSTER_MAX];
    int klen = (int)(hi - lo), found = 0;
    CacheEntry *slot;
    if (klen <= CLUSTER_MAX) {
        for (int k = 0; k < klen; k++) key[k] = PyUnicode_READ(kind, data, lo + k);
        slot = cache_slot(key, klen, &found);
        if (found) {
            memcpy(piece, slot->piece, slot->plen * sizeof(Py_UCS4));
            *plen = slot->plen;
            *aligned = slot->aligned;
            return 0;
        }
    }
    PyObject *cluster = PyUnicode_Substring(text, lo, hi);
    if (cluster == NULL) return -1;
    PyObject *res = PyObject_CallOneArg(cluster_fn, cluster);
    Py_DECREF(cluster);
    if (res == NULL) return -1;
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(res, 0))) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_TypeError, "normalize_cluster must return (str, bool)");
        return -1;
    }
    PyObject *p = PyTuple_GET_ITEM(res, 0);
    Py_ssize_t n = PyUnicode_GET_LENGTH(p);
    int is_aligned = PyObject_IsTrue(PyTuple_GET_ITEM(res, 1));
    if (n < 1 || n > CLUSTER_MAX || is_aligned < 0) {
        Py_DECREF(res);
        if (is_aligned < 0) return -1;
        return 1;
    }
    for (Py_ssize_t k = 0; k < n; k++) piece[k] = PyUnicode_READ_CHAR(p, k);
    Py_DECREF(res);
    *plen = (int)n;
    *aligned = is_aligned;
    if (klen <= CLUSTER_MAX) {
        /* Looked up again: while normalize_cluster ran, another thread may have changed
         * the cache. */
        if (cache_used >= CACHE_SLOTS * 3 / 4) {
            memset(cache, 0, sizeof cache);
            cache_used = 0;
        }
        slot = cache_slot(key, klen, &found);
        if (slot == NULL) return 0; /* full: cannot happen below three quarters */
        cache_used += !found;
        memcpy(slot->key, key, klen * sizeof(Py_UCS4));
        memcpy(slot->piece, piece, n * sizeof(Py_UCS4));
        slot->klen = (uint8_t)klen;
        slot->plen = (uint8_t)n;
        slot->aligned = (uint8_t)is_aligned;
        slot->used = 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ normalised text */

typedef struct {
    PyObject *text;        /* borrowed: the original */
    PyObject *norm;        /* N: normalised */
    Py_ssize_t *starts;    /* N index -> original [start, end); NULL when index-aligned */
    Py_ssize_t *ends;
    int expanded;          /* one original piece became several characters of N */
    void *norm_mem;
    PyObject *fold;        /* F: accent-folded N (NULL until needed) */
    Py_ssize_t *fmap;      /* F index -> N index; NULL when index-aligned with N */
    void *fold_mem;
    /* trimmed / whitespace-stripped bounds, per space (0 = N, 1 = F), computed lazily */
    int bounds_done[2];
    Py_ssize_t t_lo[2], t_hi[2], w_lo[2], w_hi[2];
} Text;

static void text_clear(Text *t) {
    Py_CLEAR(t->norm);
    Py_CLEAR(t->fold);
    PyMem_Free(t->norm_mem);
    PyMem_Free(t->fold_mem);
    t->norm_mem = t->fold_mem = NULL;
}

static Py_ssize_t *list_to_array(PyObject *list, Py_ssize_t *out) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (out[i] == -1 && PyErr_Occurred()) return NULL;
    }
    return out;
}

/* The Python path for the rare texts: normalize.normalize_with_offsets. */
static int normalize_in_python(Text *t) {
    PyObject *res = PyObject_CallOneArg(offsets_fn, t->text);
    if (res == NULL) return -1;
    PyObject *norm = PyObject_GetAttr(res, str_text);
    PyObject *starts = PyObject_GetAttr(res, str_starts);
    PyObject *ends = PyObject_GetAttr(res, str_ends);
    PyObject *expanded = PyObject_GetAttr(res, str_expanded);
    Py_DECREF(res);
    int rc = -1;
    if (norm == NULL || starts == NULL || ends == NULL || expanded == NULL) goto done;
    t->norm = norm;
    norm = NULL;
    t->expanded = PyObject_IsTrue(expanded);
    if (t->expanded < 0) goto done;
    if (starts != Py_None) {
        Py_ssize_t n = PyList_GET_SIZE(starts);
        t->norm_mem = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (n + 1));
        if (t->norm_mem == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        t->starts = (Py_ssize_t *)t->norm_mem;
        t->ends = t->starts + n + 1;
        if (!list_to_array(starts, t->starts) || !list_to_array(ends, t->ends)) goto done;
    }
    rc = 0;
done:
    Py_XDECREF(norm);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(expanded);
    return rc;
}

static int normalize_ascii(Text *t) {
    PyObject *text = t->text;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t i = 0;
    while (i < n && !(s[i] >= 'A' && s[i] <= 'Z')) i++;
    if (i == n) {
        Py_INCREF(text);
        t->norm = text;
        return 0;
    }
    PyObject *norm = PyUnicode_New(n, 127);
    if (norm == NULL) return -1;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(norm);
    memcpy(d, s, n);
    for (; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z') d[i] += 'a' - 'A';
    t->norm = norm;
    return 0;
}

/*
 * normalize.normalize_with_offsets in C. One pass: plain characters case-fold one to one;
 * a character followed by marks is a cluster normalised as a whole. Offsets, as in Python:
 * when every cluster is "aligned" (already NFC, case folding keeps its length) each
 * character keeps its own position and a variation selector joins the span of the
 * character before it; otherwise every character of a cluster's piece spans the cluster.
 */
typedef struct {
    Py_ssize_t lo, hi; /* original [lo, hi) */
    int plen, aligned;
} Cluster;

#define STACK_CHARS 256

static int offsets_from_clusters(Text *t, const Cluster *cl, Py_ssize_t ncl, Py_ssize_t n,
                                 Py_ssize_t out, int all_aligned) {
    t->norm_mem = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (out + 1));
    if (t->norm_mem == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *starts = t->starts = (Py_ssize_t *)t->norm_mem;
    Py_ssize_t *ends = t->ends = starts + out + 1;
    int kind = PyUnicode_KIND(t->text);
    const void *data = PyUnicode_DATA(t->text);
    Py_ssize_t in = 0, o = 0;
    for (Py_ssize_t k = 0; k <= ncl; k++) {
        Py_ssize_t lo = k < ncl ? cl[k].lo : n;
        for (; in < lo; in++, o++) { /* plain characters between clusters: one to one */
            starts[o] = in;
            ends[o] = in + 1;
        }
        if (k == ncl) break;
        const Cluster *c = &cl[k];
        if (all_aligned) {
            for (Py_ssize_t p = c->lo; p < c->hi; p++) {
                Py_UCS4 m = PyUnicode_READ(kind, data, p);
                if (m == 0xFE0E || m == 0xFE0F) {
                    ends[o - 1] = p + 1;
                } else {
                    starts[o] = p;
                    ends[o] = p + 1;
                    o++;
                }
            }
        } else {
            for (int q = 0; q < c->plen; q++, o++) {
                starts[o] = c->lo;
                ends[o] = c->hi;
            }
        }
        in = c->hi;
    }
    return 0;
}

static int normalize_text(Text *t) {
    PyObject *text = t->text;
    if (PyUnicode_IS_ASCII(text)) return normalize_ascii(t);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* A cluster of L >= 2 characters gives at most CLUSTER_MAX <= 2L: N is at most 2n. */
    Py_UCS4 stack_buf[2 * STACK_CHARS];
    Cluster stack_cl[STACK_CHARS / 2];
    Py_UCS4 *buf = stack_buf;
    Cluster *cl = stack_cl;
    void *mem = NULL;
    if (n > STACK_CHARS) {
        mem = PyMem_Malloc(2 * n * sizeof(Py_UCS4) + (n / 2 + 1) * sizeof(Cluster));
        if (mem == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buf = (Py_UCS4 *)mem;
        cl = (Cluster *)(buf + 2 * n);
    }
    Py_ssize_t i = 0, out = 0, ncl = 0;
    int all_aligned = 1, expanded = 0, selectors = 0, rc = -1;
    int32_t changed = 0; /* any case folded so far (no cluster: N is otherwise the text) */
    Py_UCS4 c = PyUnicode_READ(kind, data, 0);
    Py_ssize_t ix = tbl(c);
    /* One table lookup per character, branch-light: faster than special-casing ASCII in
     * mixed-script text (measured). */
    while (i < n) {
        if ((KW_FLAGS[ix] & KW_NC_MASK) != KW_NC_PLAIN) goto python; /* ß, İ, NIKHAHIT, … */
        Py_ssize_t j = i + 1, ix2 = 0;
        Py_UCS4 c2 = 0;
        if (j < n) {
            c2 = PyUnicode_READ(kind, data, j);
            ix2 = tbl(c2);
        }
        if (j == n || (KW_FLAGS[ix2] & KW_NC_MASK) != KW_NC_MARK) {
            changed |= KW_CASE[ix];
            buf[out++] = (Py_UCS4)((int32_t)c + KW_CASE[ix]);
            i = j;
            c = c2;
            ix = ix2;
            continue;
        }
        do { /* a cluster: c and the marks after it */
            selectors |= c2 == 0xFE0E || c2 == 0xFE0F;
            if (++j == n) break;
            c2 = PyUnicode_READ(kind, data, j);
            ix2 = tbl(c2);
        } while ((KW_FLAGS[ix2] & KW_NC_MASK) == KW_NC_MARK);
        Cluster *cur = &cl[ncl];
        int r = cluster_piece(text, kind, data, i, j, buf + out, &cur->plen, &cur->aligned);
        if (r < 0) goto done;
        if (r > 0) goto python;
        cur->lo = i;
        cur->hi = j;
        all_aligned &= cur->aligned;
        expanded |= cur->plen > 1;
        out += cur->plen;
        ncl++;
        i = j;
        c = c2;
        ix = ix2;
    }
    if (ncl == 0 && !changed) { /* already normalised: lower case, NFC */
        Py_INCREF(text);
        t->norm = text;
        rc = 0;
        goto done;
    }
    t->norm = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, out);
    if (t->norm == NULL) goto done;
    rc = 0;
    if (ncl == 0 || (all_aligned && !selectors && out == n)) goto done; /* index-aligned */
    if (!all_aligned) t->expanded = expanded;
    rc = offsets_from_clusters(t, cl, ncl, n, out, all_aligned);
    goto done;
python:
    rc = normalize_in_python(t);
done:
    PyMem_Free(mem);
    return rc;
}

/* F = accent-folded N, with fmap when folding deleted characters (combining marks left
 * over after NFC). */
static int fold_text(Text *t) {
    PyObject *norm = t->norm;
    if (PyUnicode_IS_ASCII(norm)) {
        Py_INCREF(norm);
        t->fold = norm;
        return 0;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(norm);
    int kind = PyUnicode_KIND(norm);
    const void *data = PyUnicode_DATA(norm);
    char *mem = PyMem_Malloc((n + 1) * (sizeof(Py_UCS4) + sizeof(Py_ssize_t)));
    if (mem == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *fmap = (Py_ssize_t *)mem;
    Py_UCS4 *buf = (Py_UCS4 *)(fmap + n + 1);
    Py_ssize_t o = 0;
    int changed = 0, deleted = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        Py_ssize_t ix = tbl(c);
        if (KW_FLAGS[ix] & KW_F_FOLD_DEL) {
            deleted = 1;
            continue;
        }
        Py_UCS4 d = (Py_UCS4)((int32_t)c + KW_FOLD[ix]);
        changed |= d != c;
        buf[o] = d;
        fmap[o] = j;
        o++;
    }
    if (!changed && !deleted) {
        PyMem_Free(mem);
        Py_INCREF(norm);
        t->fold = norm;
        return 0;
    }
    t->fold = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, o);
    if (t->fold == NULL) {
        PyMem_Free(mem);
        return -1;
    }
    if (deleted) {
        t->fold_mem = mem;
        t->fmap = fmap;
    } else {
        PyMem_Free(mem);
    }
    return 0;
}

static void compute_bounds(Text *t, int space) {
    PyObject *s = space ? t->fold : t->norm;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), lo = 0, hi = n;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    while (lo < hi && (flags_of(PyUnicode_READ(kind, data, lo)) & KW_F_TRIM)) lo++;
    while (hi > lo && (flags_of(PyUnicode_READ(kind, data, hi - 1)) & KW_F_TRIM)) hi--;
    t->t_lo[space] = lo;
    t->t_hi[space] = hi;
    lo = 0;
    while (lo < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, lo))) lo++;
    hi = n;
    while (hi > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, hi - 1))) hi--;
    t->w_lo[space] = lo;
    t->w_hi[space] = hi;
    t->bounds_done[space] = 1;
}

static inline int is_word(int kind, const void *data, Py_ssize_t i) {
    return ((flags_of(PyUnicode_READ(kind, data, i)) >> KW_WCLS_SHIFT) & 3) == KW_WCLS_WORD;
}

/* N[lo:hi] == exact */
static int equal_slice(PyObject *s, Py_ssize_t lo, Py_ssize_t hi, PyObject *exact) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(exact);
    if (hi - lo != len) return 0;
    int sk = PyUnicode_KIND(s), ek = PyUnicode_KIND(exact);
    const void *sd = PyUnicode_DATA(s), *ed = PyUnicode_DATA(exact);
    for (Py_ssize_t k = 0; k < len; k++)
        if (PyUnicode_READ(sk, sd, lo + k) != PyUnicode_READ(ek, ed, k)) return 0;
    return 1;
}

/* a[alo:alo+len] == b[blo:blo+len] */
static int equal_ranges(PyObject *a, Py_ssize_t alo, PyObject *b, Py_ssize_t blo,
                        Py_ssize_t len) {
    int ak = PyUnicode_KIND(a), bk = PyUnicode_KIND(b);
    const void *ad = PyUnicode_DATA(a), *bd = PyUnicode_DATA(b);
    for (Py_ssize_t k = 0; k < len; k++)
        if (PyUnicode_READ(ak, ad, alo + k) != PyUnicode_READ(bk, bd, blo + k)) return 0;
    return 1;
}

/* Is an accent-sensitive keyword really at N[ns:ne], given that its folded form is at
 * F[s:e]? Usually decided without reading the keyword (another object, rarely in the CPU
 * cache at 10,000 keywords): where folding changed nothing, exactly the keywords without
 * accents are there; where it changed something, never those. *unchanged caches the
 * answer per hit (-1 = not yet known). */
static int exact_holds(Text *t, int code, PyObject *exact, Py_ssize_t s, Py_ssize_t e,
                       Py_ssize_t ns, Py_ssize_t ne, int *unchanged) {
    if (*unchanged < 0) {
        if (t->fold == t->norm)
            *unchanged = 1;
        else if (t->fmap)
            *unchanged = 2; /* spans differ in length: compare with the keyword */
        else
            *unchanged = equal_ranges(t->norm, ns, t->fold, s, e - s);
    }
    if (*unchanged == 1) return !(code & C_ACCENTED);
    if (*unchanged == 0 && !(code & C_ACCENTED)) return 0;
    return equal_slice(t->norm, ns, ne, exact);
}

/* Does a candidate hold at [s, e) of its text (N or F)? */
static int accepted(Text *t, int code, int space, Py_ssize_t s, Py_ssize_t e) {
    int kind_of = code & C_KIND;
    if (kind_of == K_FREE) return 1;
    PyObject *str = space ? t->fold : t->norm;
    int kind = PyUnicode_KIND(str);
    const void *data = PyUnicode_DATA(str);
    Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    if (kind_of == K_WORD) {
        if ((code & C_LEFT) && s > 0 && is_word(kind, data, s - 1)) return 0;
        if ((code & C_RIGHT) && e < n && is_word(kind, data, e)) return 0;
        return 1;
    }
    if (!t->bounds_done[space]) compute_bounds(t, space);
    switch (kind_of) {
    case K_EXACT:
        return s == t->t_lo[space] && e == t->t_hi[space];
    case K_START:
        if (s != t->t_lo[space]) return 0;
        return !((code & C_RIGHT) && e < n && is_word(kind, data, e));
    case K_EXACT_PUNCT:
        return s == t->w_lo[space] && e == t->w_hi[space];
    default: /* K_START_PUNCT */
        return s == t->w_lo[space];
    }
}

/* ------------------------------------------------------------------ Scanner */

typedef struct {
    PyObject_HEAD
    PyObject *iters[2]; /* bound automaton.iter of each side */
    int folded[2];      /* side scans F (1) or N (0) */
    int nsides;
    int may_repeat;     /* two specs with the same key and keyword */
    int need_fold;
} Scanner;

static PyObject *new_match(PyObject *key, PyObject *keyword, Py_ssize_t s, Py_ssize_t e) {
    PyObject *m = match_type->tp_alloc(match_type, 4);
    if (m == NULL) return NULL;
    PyObject *ps = PyLong_FromSsize_t(s), *pe = PyLong_FromSsize_t(e);
    if (ps == NULL || pe == NULL) {
        Py_XDECREF(ps);
        Py_XDECREF(pe);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(key);
    Py_INCREF(keyword);
    PyTuple_SET_ITEM(m, 0, key);
    PyTuple_SET_ITEM(m, 1, keyword);
    PyTuple_SET_ITEM(m, 2, ps);
    PyTuple_SET_ITEM(m, 3, pe);
    return m;
}

/* One automaton over N or F; accepted matches appended to out, or their keys added to
 * keys. The automaton's values are flat tuples (length, code, key, keyword, exact, code, …):
 * one object per hit to read, not a tuple of tuples (at 10,000 keywords they are rarely in
 * the CPU cache, and every extra object is another cache miss). */
static int scan_side(Scanner *self, int side, Text *t, PyObject *out, PyObject *keys) {
    int folded = self->folded[side];
    PyObject *it = PyObject_CallOneArg(self->iters[side], folded ? t->fold : t->norm);
    if (it == NULL) return -1;
    iternextfunc next = Py_TYPE(it)->tp_iternext;
    const Py_ssize_t *fmap = folded ? t->fmap : NULL;
    PyObject *item;
    int rc = 0;
    while ((item = next(it)) != NULL) {
        PyObject *value = PyTuple_GET_ITEM(item, 1);
        Py_ssize_t e = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0)) + 1;
        Py_ssize_t s = e - PyLong_AsSsize_t(PyTuple_GET_ITEM(value, 0));
        Py_ssize_t ns = s, ne = e; /* the same span in N */
        if (fmap) {
            ns = fmap[s];
            ne = fmap[e - 1] + 1;
        }
        Py_ssize_t size = PyTuple_GET_SIZE(value);
        int unchanged = -1;
        for (Py_ssize_t c = 1; c + 3 < size; c += 4) {
            int code = (int)PyLong_AsLong(PyTuple_GET_ITEM(value, c));
            PyObject *exact = PyTuple_GET_ITEM(value, c + 3);
            if (exact != Py_None && !exact_holds(t, code, exact, s, e, ns, ne, &unchanged))
                continue;
            int on_fold = (code & C_FOLDED) != 0;
            if (!accepted(t, code, on_fold, on_fold ? s : ns, on_fold ? e : ne)) continue;
            PyObject *key = PyTuple_GET_ITEM(value, c + 1);
            if (keys != NULL) {
                if (PySet_Add(keys, key) < 0) {
                    rc = -1;
                    break;
                }
                continue;
            }
            Py_ssize_t os = ns, oe = ne;
            if (t->starts) {
                os = t->starts[ns];
                oe = t->ends[ne - 1];
            }
            PyObject *m = new_match(key, PyTuple_GET_ITEM(value, c + 2), os, oe);
            if (m == NULL || PyList_Append(out, m) < 0) {
                Py_XDECREF(m);
                rc = -1;
                break;
            }
            Py_DECREF(m);
        }
        Py_DECREF(item);
        if (rc < 0) break;
    }
    Py_DECREF(it);
    if (rc == 0 && PyErr_Occurred()) rc = -1;
    return rc;
}

static int sort_matches(PyObject *list) {
    PyObject *sort = PyObject_GetAttr(list, str_sort);
    if (sort == NULL) return -1;
    PyObject *args = PyTuple_New(0), *kwargs = Py_BuildValue("{OO}", str_key, sort_key);
    PyObject *res = (args && kwargs) ? PyObject_Call(sort, args, kwargs) : NULL;
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_DECREF(sort);
    if (res == NULL) return -1;
    Py_DECREF(res);
    return 0;
}

/* Normalise text and run every side: matches appended to out, or keys added to keys.
 * Returns the number of sides that appended to out, or -1. */
static int scan_all(Scanner *self, PyObject *text, Text *t, PyObject *out, PyObject *keys) {
    memset(t, 0, sizeof *t);
    t->text = text;
    if (normalize_text(t) < 0 || (self->need_fold && fold_text(t) < 0)) return -1;
    int sides_with_matches = 0;
    for (int side = 0; side < self->nsides; side++) {
        Py_ssize_t before = out ? PyList_GET_SIZE(out) : 0;
        if (scan_side(self, side, t, out, keys) < 0) return -1;
        sides_with_matches += out && PyList_GET_SIZE(out) > before;
    }
    return sides_with_matches;
}

/* Two matches may map to the same original span: keep one, the first seen. */
static PyObject *unique_matches(PyObject *list) {
    PyObject *seen = PyDict_New();
    if (seen == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++)
        if (PyDict_SetDefault(seen, PyList_GET_ITEM(list, i), Py_None) == NULL) {
            Py_DECREF(seen);
            return NULL;
        }
    PyObject *unique = PyDict_Keys(seen);
    Py_DECREF(seen);
    return unique;
}

static PyObject *Scanner_find(Scanner *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "find() takes a str");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL || PyUnicode_GET_LENGTH(text) == 0 || self->nsides == 0) return out;
    Text t;
    int sides_with_matches = scan_all(self, text, &t, out, NULL);
    if (sides_with_matches < 0) goto error;
    if (PyList_GET_SIZE(out) > 1) {
        if (self->may_repeat || t.expanded) {
            Py_SETREF(out, unique_matches(out));
            if (out == NULL || sort_matches(out) < 0) goto error;
        } else if (sides_with_matches > 1 && sort_matches(out) < 0) {
            goto error;
        }
    }
    text_clear(&t);
    return out;
error:
    text_clear(&t);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *Scanner_matched_keys(Scanner *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "matched_keys() takes a str");
        return NULL;
    }
    PyObject *keys = PySet_New(NULL);
    if (keys == NULL || PyUnicode_GET_LENGTH(text) == 0 || self->nsides == 0) return keys;
    Text t;
    if (scan_all(self, text, &t, NULL, keys) < 0) Py_CLEAR(keys);
    text_clear(&t);
    return keys;
}

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"sides", "may_repeat", NULL};
    PyObject *sides;
    int may_repeat = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|p", kwlist, &sides, &may_repeat)) return -1;
    PyObject *seq = PySequence_Fast(sides, "sides must be a sequence");
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > 2) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "at most two sides");
        return -1;
    }
    for (int i = 0; i < self->nsides; i++) Py_CLEAR(self->iters[i]);
    self->nsides = 0;
    self->need_fold = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *automaton, *iter;
        int folded;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "Op", &automaton, &folded) ||
            (iter = PyObject_GetAttrString(automaton, "iter")) == NULL) {
            Py_DECREF(seq);
            return -1;
        }
        self->iters[i] = iter;
        self->folded[i] = folded;
        self->need_fold |= folded;
        self->nsides++;
    }
    Py_DECREF(seq);
    self->may_repeat = may_repeat;
    if (match_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_kwscan.configure() was not called");
        return -1;
    }
    return 0;
}

static int Scanner_traverse(Scanner *self, visitproc visit, void *arg) {
    for (int i = 0; i < self->nsides; i++) Py_VISIT(self->iters[i]);
    return 0;
}

static int Scanner_clear(Scanner *self) {
    for (int i = 0; i < 2; i++) Py_CLEAR(self->iters[i]);
    self->nsides = 0;
    return 0;
}

static void Scanner_dealloc(Scanner *self) {
    PyObject_GC_UnTrack(self);
    Scanner_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scanner_methods[] = {
    {"find", (PyCFunction)Scanner_find, METH_O,
     "Every accepted match in text, as KeywordMatch tuples ordered by (end, start)."},
    {"matched_keys", (PyCFunction)Scanner_matched_keys, METH_O,
     "The set of keys of the keywords found in text."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "inbox.automation._kwscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Scanner(sides, may_repeat=False): sides = [(automaton, scans_folded_text)].",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_traverse = (traverseproc)Scanner_traverse,
    .tp_clear = (inquiry)Scanner_clear,
    .tp_methods = Scanner_methods,
};

/* ------------------------------------------------------------------ module functions */

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *mt, *cf, *of, *sk;
    if (!PyArg_ParseTuple(args, "O!OOO", &PyType_Type, &mt, &cf, &of, &sk)) return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)mt, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the match type must be a tuple subclass");
        return NULL;
    }
    Py_INCREF(mt);
    Py_XSETREF(match_type, (PyTypeObject *)mt);
    Py_INCREF(cf);
    Py_XSETREF(cluster_fn, cf);
    Py_INCREF(of);
    Py_XSETREF(offsets_fn, of);
    Py_INCREF(sk);
    Py_XSETREF(sort_key, sk);
    memset(cache, 0, sizeof cache);
    cache_used = 0;
    Py_RETURN_NONE;
}

static PyObject *list_from(const Py_ssize_t *values, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyLong_FromSsize_t(values[i]);
        if (v == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* normalize(text, fold=False) -> (text, starts | None, ends | None, expanded): what the
 * scanner works on, for the tests (fold=True: the accent-folded text, offsets composed). */
static PyObject *normalize(PyObject *module, PyObject *args) {
    PyObject *text;
    int fold = 0;
    if (!PyArg_ParseTuple(args, "U|p", &text, &fold)) return NULL;
    if (offsets_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_kwscan.configure() was not called");
        return NULL;
    }
    Text t;
    memset(&t, 0, sizeof t);
    t.text = text;
    PyObject *result = NULL, *starts = NULL, *ends = NULL;
    if (normalize_text(&t) < 0 || (fold && fold_text(&t) < 0)) goto done;
    PyObject *str = fold ? t.fold : t.norm;
    Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    if (t.starts || t.fmap) {
        Py_ssize_t *s = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (n + 1)), *e = s + n + 1;
        if (s == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t k = t.fmap ? t.fmap[j] : j;
            s[j] = t.starts ? t.starts[k] : k;
            e[j] = t.starts ? t.ends[k] : k + 1;
        }
        starts = list_from(s, n);
        ends = list_from(e, n);
        PyMem_Free(s);
        if (starts == NULL || ends == NULL) goto done;
    } else {
        starts = Py_NewRef(Py_None);
        ends = Py_NewRef(Py_None);
    }
    result = Py_BuildValue("(OOOO)", str, starts, ends, t.expanded ? Py_True : Py_False);
done:
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    text_clear(&t);
    return result;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(match_type, normalize_cluster, normalize_with_offsets, sort_key)"},
    {"normalize", normalize, METH_VARARGS, "normalize(text, fold=False)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_kwscan",
    "The keyword engine's per-message work in C (see keywords.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__kwscan(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    str_text = PyUnicode_InternFromString("text");
    str_starts = PyUnicode_InternFromString("starts");
    str_ends = PyUnicode_InternFromString("ends");
    str_expanded = PyUnicode_InternFromString("expanded");
    str_sort = PyUnicode_InternFromString("sort");
    str_key = PyUnicode_InternFromString("key");
    if (!str_text || !str_starts || !str_ends || !str_expanded || !str_sort || !str_key)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0 ||
        PyModule_AddStringConstant(m, "UNIDATA_VERSION", KW_UNIDATA_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "TABLES_HASH", KW_TABLES_HASH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
