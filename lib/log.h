/* Levelled logging for every mmlipsec binary: stderr by default, syslog for
 * daemons (mml_log_open). The function name prefixes each message at debug
 * level; errno is preserved across a call. */
#ifndef MML_LIB_LOG_H
#define MML_LIB_LOG_H

#include <stdbool.h>

enum mml_log_level { MML_LOG_ERR, MML_LOG_WARN, MML_LOG_INFO, MML_LOG_DEBUG };

void mml_log_open(const char *ident, bool use_syslog, enum mml_log_level level);
void mml_log_set_level(enum mml_log_level level);
/* Route libbpf's own messages through mml_log (warnings and errors only
 * unless debugging). */
void mml_log_libbpf(void);
/* Silence libbpf while probing features; returns the previous state. */
bool mml_log_libbpf_quiet(bool quiet);

void mml_log(enum mml_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) mml_log(MML_LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) mml_log(MML_LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...) mml_log(MML_LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) mml_log(MML_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
