#include "lib/log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static enum mml_log_level log_level = MML_LOG_INFO;
static bool log_syslog;
static bool libbpf_quiet;

static const int syslog_prio[] = {
	[MML_LOG_ERR] = LOG_ERR,
	[MML_LOG_WARN] = LOG_WARNING,
	[MML_LOG_INFO] = LOG_INFO,
	[MML_LOG_DEBUG] = LOG_DEBUG,
};

void mml_log_open(const char *ident, bool use_syslog, enum mml_log_level level)
{
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void mml_log_set_level(enum mml_log_level level)
{
	log_level = level;
}

static void vlog(enum mml_log_level level, const char *func, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		syslog(syslog_prio[level], "%s%s%s", level == MML_LOG_DEBUG ? func : "",
		       level == MML_LOG_DEBUG ? ": " : "", msg);
		return;
	}
	if (level == MML_LOG_DEBUG)
		fprintf(stderr, "%s: %s\n", func, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

void mml_log(enum mml_log_level level, const char *func, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (level <= log_level) {
		va_start(ap, fmt);
		vlog(level, func, fmt, ap);
		va_end(ap);
	}
	errno = saved_errno;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum mml_log_level ours = level == LIBBPF_WARN ? MML_LOG_WARN :
				  level == LIBBPF_INFO ? MML_LOG_INFO :
							 MML_LOG_DEBUG;
	char msg[1024];
	size_t len;

	/* libbpf's INFO lines are chatty: show them only when debugging. */
	if (libbpf_quiet || ours > log_level || (ours == MML_LOG_INFO && log_level < MML_LOG_DEBUG))
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	if (len > 0 && msg[len - 1] == '\n')
		msg[len - 1] = '\0';
	mml_log(ours, "libbpf", "libbpf: %s", msg);
	return 0;
}

void mml_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

bool mml_log_libbpf_quiet(bool quiet)
{
	bool was = libbpf_quiet;

	libbpf_quiet = quiet;
	return was;
}
