/* The training loop's log_metrics, with no interpreter in the common case.
 *
 * Why C: right after a NumPy step the CPU caches hold the step's arrays, not the interpreter.
 * The Python hot path (run.py: Run._log_metrics_py) then costs ~10 us a call, about half of it
 * in struct, mmap slicing and zlib coming back into cache; this one function touches a few
 * cache lines of its own and writes the same bytes (tests/unit/test_fastmetrics.py compares
 * them with the Python path's, record by record).
 *
 * A Writer is installed as a run's ``log_metrics``. It reads the same attributes the Python
 * path reads, in the same order, and hands the call to that path (``slow``) for anything but
 * the common case: the run not RUNNING, warnings waiting to be reported, no sender yet, a step
 * left out or not a plain non-negative int, values that are not a plain dict of floats and
 * ints, a key set seen for the first time, the record not fitting below ``active.limit``.
 * So every error, warning and growth of the spool is the Python path's, unchanged.
 *
 * The record (encode.MetricsShape): shape.const, u64 event counter, f64 time, u64 step, the
 * values as f64, all little-endian with no padding; written at ``at + 8`` of the mapped
 * segment, then its header word (length | ADLER32_FLAG | adler32(payload) << 32) at ``at``,
 * after a release fence: a reader that sees the header sees the whole record. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the record is written with native stores: little-endian hosts only (Python path elsewhere)"
#endif

#ifdef Py_GIL_DISABLED
#error "the append relies on the GIL (see write_fast): free-threaded builds use the Python path"
#endif

#define MAX_VALUES 64 /* more metrics in one call: the Python path */

static PyObject *s_status, *s_client, *s_unreported, *s_sender, *s_shapes, *s_step_attr,
    *s_ids, *s_const, *s_n, *s_size, *s_length, *s_word, *s_append_lock, *s_acquire,
    *s_release, *s_active, *s_end, *s_limit, *s_mapped, *s_offsets, *s_append, *s_max_batch,
    *s_nudge, *s_deferred, *s_run_deferred, *s_step, *s_values, *s_lock, *s_locked, *one;

typedef struct {
    PyObject_HEAD
    PyObject *run;       /* the Run */
    PyObject *running;   /* RunStatus.RUNNING */
    PyObject *lifecycle; /* the lifecycle module (deferred_sigterm, run_deferred) */
    PyObject *slow;      /* Run._log_metrics_py bound to the run */
    PyObject *client;    /* run.client, and its deque of warnings to report (never replaced) */
    PyObject *unreported;
    PyObject *lifecycle_dict;
    /* caches (refresh_shape, refresh_sender, the active segment's pending list) */
    PyObject *shapes, *keys, *constant;
    Py_ssize_t size, length, word;
    PyObject *sender, *locked;
    Py_ssize_t max_batch;
    PyObject *active, *offsets;
    vectorcallfunc vectorcall;
} Writer;

static uint32_t adler32(const unsigned char *data, Py_ssize_t len) {
    uint32_t a = 1, b = 0;
    while (len > 0) {
        Py_ssize_t chunk = len < 5552 ? len : 5552; /* no overflow before the modulo */
        len -= chunk;
        while (chunk--) {
            a += *data++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

/* Python's time.time(): CLOCK_REALTIME in ns, as seconds. */
static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) / 1e9;
}

/* attribute -> C integer; -1 with no exception set for "not a plain int in range". */
static int get_ssize(PyObject *obj, PyObject *name, Py_ssize_t *out) {
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        return -1;
    }
    int ok = PyLong_CheckExact(value);
    if (ok) {
        *out = PyLong_AsSsize_t(value);
        if (*out == -1 && PyErr_Occurred()) {
            ok = 0;
        }
    }
    Py_DECREF(value);
    return ok ? 0 : -1;
}

/* run._step + 1 under run._lock, stored back: the step of a call that left it out. */
static int next_step(PyObject *run, PyObject **out) {
    PyObject *lock = PyObject_GetAttr(run, s_lock);
    if (lock == NULL) {
        return -1;
    }
    PyObject *tmp = PyObject_CallMethodNoArgs(lock, s_acquire);
    if (tmp == NULL) {
        Py_DECREF(lock);
        return -1;
    }
    Py_DECREF(tmp);
    PyObject *current = PyObject_GetAttr(run, s_step_attr);
    PyObject *next = current == NULL ? NULL : PyNumber_Add(current, one);
    Py_XDECREF(current);
    int failed = next == NULL || PyObject_SetAttr(run, s_step_attr, next) < 0;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    tmp = PyObject_CallMethodNoArgs(lock, s_release);
    Py_DECREF(lock);
    if (tmp == NULL) {
        Py_XDECREF(exc_type);
        Py_XDECREF(exc_value);
        Py_XDECREF(exc_tb);
        Py_XDECREF(next);
        return -1;
    }
    Py_DECREF(tmp);
    PyErr_Restore(exc_type, exc_value, exc_tb);
    if (failed) {
        Py_XDECREF(next);
        return -1;
    }
    *out = next;
    return 0;
}

/* What the last call used, kept while it stays the same object (held here, so its address
 * cannot be reused): the shape of a key set, the sender's lock, the segment's pending list.
 * Looking them up again each call is what costs with cold caches. */
static int refresh_shape(Writer *self, PyObject *shapes, PyObject *values, Py_ssize_t count) {
    PyObject *keys = PyTuple_New(count);
    if (keys == NULL) {
        return -1;
    }
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(values, &pos, &key, &value)) {
        PyTuple_SET_ITEM(keys, i++, Py_NewRef(key));
    }
    PyObject *shape = PyDict_GetItemWithError(shapes, keys); /* borrowed */
    if (shape == NULL) {
        Py_DECREF(keys);
        return PyErr_Occurred() ? -1 : 0; /* a new key set: the Python path makes its shape */
    }
    PyObject *constant = PyObject_GetAttr(shape, s_const);
    Py_ssize_t n = 0, size = 0, length = 0, word = 0;
    int ok = constant != NULL && PyBytes_CheckExact(constant) && get_ssize(shape, s_n, &n) == 0 &&
             get_ssize(shape, s_size, &size) == 0 && get_ssize(shape, s_length, &length) == 0 &&
             get_ssize(shape, s_word, &word) == 0;
    if (!ok || n != count || length != PyBytes_GET_SIZE(constant) + 24 + 8 * count ||
        size < length + 8) {
        Py_XDECREF(constant);
        Py_DECREF(keys);
        return PyErr_Occurred() ? -1 : 0; /* not the layout this file writes */
    }
    Py_XSETREF(self->shapes, Py_NewRef(shapes));
    Py_XSETREF(self->keys, keys);
    Py_XSETREF(self->constant, constant);
    self->size = size;
    self->length = length;
    self->word = word;
    return 1;
}

/* 1 when the cached shape is this call's: the same shapes dict, the same key objects in order
 * (keys are interned literals in a training loop; equal but distinct ones are compared too). */
static int shape_matches(Writer *self, PyObject *shapes, PyObject *values, Py_ssize_t count) {
    if (self->shapes != shapes || PyTuple_GET_SIZE(self->keys) != count) {
        return 0;
    }
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(values, &pos, &key, &value)) {
        PyObject *cached = PyTuple_GET_ITEM(self->keys, i++);
        if (key != cached) {
            int equal = PyObject_RichCompareBool(key, cached, Py_EQ);
            if (equal <= 0) {
                return equal;
            }
        }
    }
    return 1;
}

static int refresh_sender(Writer *self, PyObject *sender) {
    PyObject *lock = PyObject_GetAttr(sender, s_append_lock);
    if (lock == NULL) {
        return -1;
    }
    PyObject *locked = PyObject_GetAttr(lock, s_locked);
    Py_DECREF(lock);
    Py_ssize_t max_batch;
    if (locked == NULL || get_ssize(sender, s_max_batch, &max_batch) < 0) {
        Py_XDECREF(locked);
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_XSETREF(self->sender, Py_NewRef(sender));
    Py_XSETREF(self->locked, locked);
    self->max_batch = max_batch;
    return 1;
}

/* The fast path. 1: written; 0: hand the call to the Python path (nothing was changed that it
 * would not change itself); -1: an exception from code the Python path also runs.
 *
 * The append lock: other threads append under ``sender.append_lock`` in Python and may be
 * switched out while holding it; this function only checks that the lock is free (else the
 * Python path waits for it). That is enough because from that check until the record is in
 * place this function runs no Python code and allocates nothing the garbage collector tracks,
 * so the GIL is not released: no other thread can take the lock meanwhile. Keep it so: no
 * calls into Python code between the check and the end of the append. */
static int write_fast(Writer *self, PyObject *values, PyObject *step, PyObject **auto_step) {
    PyObject *run = self->run, *tmp = NULL, *sender = NULL, *shapes = NULL, *active = NULL;
    PyObject *mapped = NULL, *number = NULL;
    double numbers[MAX_VALUES];
    int result = 0;

    if ((step != Py_None && !PyLong_CheckExact(step)) || !PyDict_CheckExact(values)) {
        return 0;
    }
    Py_ssize_t count = PyDict_GET_SIZE(values);
    if (count == 0 || count > MAX_VALUES) {
        return 0;
    }
    unsigned long long step_value = 0;
    if (step != Py_None) {
        step_value = PyLong_AsUnsignedLongLong(step); /* negative or too big: Python's error */
        if (step_value == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
    }
    tmp = PyObject_GetAttr(run, s_status);
    if (tmp == NULL) {
        return -1;
    }
    int open = tmp == self->running;
    Py_DECREF(tmp);
    Py_ssize_t unreported = PyObject_Size(self->unreported);
    if (unreported < 0) {
        return -1;
    }
    if (!open || unreported > 0) {
        return 0; /* an ended run, or warnings to report first: the Python path */
    }
    sender = PyObject_GetAttr(self->client, s_sender);
    if (sender == NULL) {
        return -1;
    }
    if (sender == Py_None) {
        goto done;
    }
    /* the values as doubles: plain floats (NumPy's float64 is one) and plain ints that fit;
     * bools, other numbers and anything else go the Python way */
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(values, &pos, &key, &value)) {
        if (PyFloat_Check(value)) {
            numbers[i] = PyFloat_AS_DOUBLE(value);
        } else if (PyLong_CheckExact(value)) {
            numbers[i] = PyLong_AsDouble(value);
            if (numbers[i] == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                goto done;
            }
        } else {
            goto done;
        }
        i++;
    }
    shapes = PyObject_GetAttr(run, s_shapes);
    if (shapes == NULL) {
        goto error;
    }
    if (!PyDict_CheckExact(shapes)) {
        goto done;
    }
    int matched = self->shapes == NULL ? 0 : shape_matches(self, shapes, values, count);
    if (matched == 0) {
        matched = refresh_shape(self, shapes, values, count);
    }
    if (matched <= 0) {
        goto finish;
    }
    if (sender != self->sender && (result = refresh_sender(self, sender)) <= 0) {
        goto finish;
    }
    result = 0;
    /* the step counter, as the Python path keeps it: a given step raises it, a left-out one
     * takes the next (under the run's lock; should the Python path finish this call, it is
     * handed the step taken here, so no step is skipped) */
    if (step == Py_None) {
        if (next_step(run, auto_step) < 0) {
            goto error;
        }
        step_value = PyLong_AsUnsignedLongLong(*auto_step);
        if (step_value == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            goto done;
        }
    } else {
        tmp = PyObject_GetAttr(run, s_step_attr);
        if (tmp == NULL) {
            goto error;
        }
        int later = PyObject_RichCompareBool(step, tmp, Py_GT);
        Py_CLEAR(tmp);
        if (later < 0 || (later == 1 && PyObject_SetAttr(run, s_step_attr, step) < 0)) {
            goto error;
        }
    }
    tmp = PyObject_CallNoArgs(self->locked);
    if (tmp == NULL) {
        goto error;
    }
    int busy = PyObject_IsTrue(tmp);
    Py_CLEAR(tmp);
    if (busy != 0) {
        goto finish; /* another thread is inside its append (or an error): the Python path */
    }
    /* --- from here to the end of the append: no Python code (see above) --- */
    active = PyObject_GetAttr(sender, s_active);
    if (active == NULL) {
        goto error;
    }
    Py_ssize_t at, limit;
    if (active == Py_None || get_ssize(active, s_end, &at) < 0 ||
        get_ssize(active, s_limit, &limit) < 0 || at < 0 || at + self->size > limit) {
        goto finish; /* no segment, or it must grow first: the Python path */
    }
    if (active != self->active) {
        PyObject *offsets = PyObject_GetAttr(active, s_offsets);
        if (offsets == NULL) {
            goto error;
        }
        Py_XSETREF(self->active, Py_NewRef(active));
        Py_XSETREF(self->offsets, offsets);
    }
    mapped = PyObject_GetAttr(active, s_mapped);
    if (mapped == NULL) {
        goto error;
    }
    Py_buffer view;
    if (mapped == Py_None || PyObject_GetBuffer(mapped, &view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        goto done;
    }
    Py_ssize_t size = self->size, length = self->length;
    if (at + size > view.len) {
        PyBuffer_Release(&view);
        goto done;
    }
    /* the event counter last, once the record is sure to be written here (no gap in ids) */
    tmp = PyObject_GetAttr(self->client, s_ids);
    number = tmp == NULL ? NULL : PyIter_Next(tmp);
    Py_CLEAR(tmp);
    unsigned long long event = number == NULL ? 0 : PyLong_AsUnsignedLongLong(number);
    if (number == NULL || (event == (unsigned long long)-1 && PyErr_Occurred())) {
        PyBuffer_Release(&view);
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the client's event counter ended");
        }
        goto error;
    }
    double stamp = now_seconds();
    Py_ssize_t const_len = PyBytes_GET_SIZE(self->constant);
    unsigned char *record = (unsigned char *)view.buf + at;
    unsigned char *payload = record + 8;
    memcpy(payload, PyBytes_AS_STRING(self->constant), (size_t)const_len);
    unsigned char *p = payload + const_len;
    uint64_t step_u64 = (uint64_t)step_value, event_u64 = (uint64_t)event;
    memcpy(p, &event_u64, 8);
    memcpy(p + 8, &stamp, 8);
    memcpy(p + 16, &step_u64, 8);
    memcpy(p + 24, numbers, (size_t)(8 * count));
    uint64_t header = (uint64_t)self->word | (uint64_t)adler32(payload, length) << 32;
    __atomic_thread_fence(__ATOMIC_RELEASE); /* the payload before its header */
    if (((uintptr_t)record & 7) == 0) {
        __atomic_store_n((uint64_t *)record, header, __ATOMIC_RELAXED);
    } else {
        memcpy(record, &header, 8);
    }
    PyBuffer_Release(&view);

    PyObject *end = PyLong_FromSsize_t(at + size);
    if (end == NULL || PyObject_SetAttr(active, s_end, end) < 0) {
        Py_XDECREF(end);
        goto error;
    }
    PyObject *appended = PyObject_CallMethodOneArg(self->offsets, s_append, end);
    Py_DECREF(end);
    if (appended == NULL) {
        goto error;
    }
    Py_DECREF(appended);
    /* --- the append is done --- */
    result = 1;
    Py_ssize_t pending = PyObject_Size(self->offsets);
    if (pending < 0) {
        goto error;
    }
    if (pending == self->max_batch) { /* a full batch wakes the sender now */
        tmp = PyObject_CallMethodNoArgs(sender, s_nudge);
        if (tmp == NULL) {
            goto error;
        }
        Py_CLEAR(tmp);
    }
    tmp = PyDict_GetItemWithError(self->lifecycle_dict, s_deferred); /* borrowed */
    if (tmp == NULL) {
        if (PyErr_Occurred()) {
            goto error;
        }
    } else if (tmp != Py_None) {
        tmp = PyObject_CallMethodNoArgs(self->lifecycle, s_run_deferred);
        if (tmp == NULL) {
            goto error;
        }
        Py_CLEAR(tmp);
    }
    goto done;

finish:
    if (PyErr_Occurred()) {
        result = -1;
    } else {
        result = 0;
    }
    goto done;
error:
    result = -1;
done:
    Py_XDECREF(number);
    Py_XDECREF(mapped);
    Py_XDECREF(active);
    Py_XDECREF(shapes);
    Py_XDECREF(sender);
    return result;
}

/* log_metrics(values, step=None) */
static PyObject *writer_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                                   PyObject *kwnames) {
    Writer *self = (Writer *)callable;
    if (self->slow == NULL) { /* cleared by the garbage collector with its run */
        PyErr_SetString(PyExc_ReferenceError, "log_metrics of a run that no longer exists");
        return NULL;
    }
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *values = NULL, *step = NULL;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs >= 1) {
        values = args[0];
    }
    if (nargs >= 2) {
        step = args[1];
    }
    int plain = nargs <= 2;
    for (Py_ssize_t k = 0; k < nkw && plain; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        if (name == s_step && step == NULL) {
            step = args[nargs + k];
        } else if (name == s_values && values == NULL) {
            values = args[nargs + k];
        } else {
            plain = 0; /* an odd call: the Python path raises what Python would */
        }
    }
    if (plain && values != NULL) {
        PyObject *auto_step = NULL;
        int written = write_fast(self, values, step == NULL ? Py_None : step, &auto_step);
        if (written != 0 || auto_step == NULL) {
            Py_XDECREF(auto_step);
            if (written == 1) {
                Py_RETURN_NONE;
            }
            if (written < 0) {
                return NULL;
            }
            return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
        }
        /* the step was taken here: the Python path finishes the call with it */
        PyObject *result = PyObject_CallFunctionObjArgs(self->slow, values, auto_step, NULL);
        Py_DECREF(auto_step);
        return result;
    }
    return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
}

static PyObject *writer_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *run, *running, *lifecycle, *slow;
    static char *names[] = {"run", "running", "lifecycle", "slow", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO:Writer", names, &run, &running,
                                     &lifecycle, &slow)) {
        return NULL;
    }
    if (!PyCallable_Check(slow)) {
        PyErr_SetString(PyExc_TypeError, "slow must be callable");
        return NULL;
    }
    Writer *self = (Writer *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->run = Py_NewRef(run);
    self->running = Py_NewRef(running);
    self->lifecycle = Py_NewRef(lifecycle);
    self->slow = Py_NewRef(slow);
    self->vectorcall = writer_vectorcall;
    self->client = PyObject_GetAttr(run, s_client);
    self->unreported = self->client == NULL ? NULL : PyObject_GetAttr(self->client, s_unreported);
    self->lifecycle_dict = PyModule_Check(lifecycle) ? Py_XNewRef(PyModule_GetDict(lifecycle)) : NULL;
    if (self->unreported == NULL || self->lifecycle_dict == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "lifecycle must be a module");
        }
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int writer_traverse(Writer *self, visitproc visit, void *arg) {
    Py_VISIT(self->run);
    Py_VISIT(self->running);
    Py_VISIT(self->lifecycle);
    Py_VISIT(self->slow);
    Py_VISIT(self->client);
    Py_VISIT(self->unreported);
    Py_VISIT(self->lifecycle_dict);
    Py_VISIT(self->shapes);
    Py_VISIT(self->keys);
    Py_VISIT(self->constant);
    Py_VISIT(self->sender);
    Py_VISIT(self->locked);
    Py_VISIT(self->active);
    Py_VISIT(self->offsets);
    return 0;
}

static int writer_clear(Writer *self) {
    Py_CLEAR(self->run);
    Py_CLEAR(self->running);
    Py_CLEAR(self->lifecycle);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->client);
    Py_CLEAR(self->unreported);
    Py_CLEAR(self->lifecycle_dict);
    Py_CLEAR(self->shapes);
    Py_CLEAR(self->keys);
    Py_CLEAR(self->constant);
    Py_CLEAR(self->sender);
    Py_CLEAR(self->locked);
    Py_CLEAR(self->active);
    Py_CLEAR(self->offsets);
    return 0;
}

static void writer_dealloc(Writer *self) {
    PyObject_GC_UnTrack(self);
    writer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lineagegraph.sdk._fastmetrics.Writer",
    .tp_doc = "A run's log_metrics(values, step=None): the common case in C, the rest in Python.",
    .tp_basicsize = sizeof(Writer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = writer_new,
    .tp_dealloc = (destructor)writer_dealloc,
    .tp_traverse = (traverseproc)writer_traverse,
    .tp_clear = (inquiry)writer_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Writer, vectorcall),
};

static PyObject *py_adler32(PyObject *module, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    uint32_t value = adler32(view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(value);
}

static PyMethodDef methods[] = {
    {"adler32", py_adler32, METH_O, "adler32(data) -> int: the checksum the writer uses."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastmetrics", "The training loop's log_metrics in C.", -1, methods,
};

static int intern(PyObject **slot, const char *name) {
    *slot = PyUnicode_InternFromString(name);
    return *slot == NULL ? -1 : 0;
}

PyMODINIT_FUNC PyInit__fastmetrics(void) {
    if (intern(&s_status, "status") || intern(&s_client, "client") ||
        intern(&s_unreported, "_unreported") || intern(&s_sender, "_sender") ||
        intern(&s_shapes, "_shapes") || intern(&s_step_attr, "_step") ||
        intern(&s_ids, "_ids") || intern(&s_const, "const") || intern(&s_n, "n") ||
        intern(&s_size, "size") || intern(&s_length, "length") || intern(&s_word, "word") ||
        intern(&s_append_lock, "append_lock") || intern(&s_acquire, "acquire") ||
        intern(&s_release, "release") || intern(&s_active, "active") ||
        intern(&s_end, "end") || intern(&s_limit, "limit") || intern(&s_mapped, "mapped") ||
        intern(&s_offsets, "offsets") || intern(&s_append, "append") ||
        intern(&s_max_batch, "max_batch") || intern(&s_nudge, "nudge") ||
        intern(&s_deferred, "deferred_sigterm") || intern(&s_run_deferred, "run_deferred") ||
        intern(&s_step, "step") || intern(&s_values, "values") || intern(&s_lock, "_lock") ||
        intern(&s_locked, "locked")) {
        return NULL;
    }
    one = PyLong_FromLong(1);
    if (one == NULL) {
        return NULL;
    }
    if (PyType_Ready(&WriterType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Writer", (PyObject *)&WriterType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
