/* Fixed-width types for layouts shared by BPF programs and userspace.
 * BPF objects get them from vmlinux.h (included first); userspace from the
 * uapi headers. */
#ifndef MML_MAPS_TYPES_H
#define MML_MAPS_TYPES_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#ifdef __bpf__
#define MML_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#include <assert.h>
#define MML_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#endif

#endif
