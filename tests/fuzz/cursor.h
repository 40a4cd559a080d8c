/* Reading a libFuzzer input as a script: fixed-size fields taken from the
 * front, zeros once the input is used up (so every prefix of an input is
 * a valid script too). Shared by the stateful harnesses of tests/fuzz. */
#ifndef MML_TESTS_FUZZ_CURSOR_H
#define MML_TESTS_FUZZ_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p, *end;
};

static inline bool cur_more(const struct cursor *c)
{
	return c->p < c->end;
}

static inline uint8_t cur_u8(struct cursor *c)
{
	return c->p < c->end ? *c->p++ : 0;
}

static inline uint16_t cur_u16(struct cursor *c)
{
	uint16_t lo = cur_u8(c);

	return (uint16_t)(lo | cur_u8(c) << 8);
}

static inline uint32_t cur_u32(struct cursor *c)
{
	uint32_t lo = cur_u16(c);

	return lo | (uint32_t)cur_u16(c) << 16;
}

static inline uint64_t cur_u64(struct cursor *c)
{
	uint64_t lo = cur_u32(c);

	return lo | (uint64_t)cur_u32(c) << 32;
}

/* A length byte, then that many bytes (fewer at the end of the input)
 * copied to out (at most max); returns how many. */
static inline size_t cur_blob(struct cursor *c, uint8_t *out, size_t max)
{
	size_t n = cur_u8(c), left = (size_t)(c->end - c->p);

	if (n > left)
		n = left;
	if (n > max)
		n = max;
	memcpy(out, c->p, n);
	c->p += n;
	return n;
}

/* A two-byte length, then the bytes, as cur_blob. */
static inline size_t cur_blob16(struct cursor *c, uint8_t *out, size_t max)
{
	size_t n = cur_u16(c), left = (size_t)(c->end - c->p);

	if (n > left)
		n = left;
	if (n > max)
		n = max;
	memcpy(out, c->p, n);
	c->p += n;
	return n;
}

#endif
