/* mmlctl's client of mmlkeyd's control socket (keyd/ctl.c): one JSON
 * request per connection, the reply read to the end. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/log.h"
#include "loader/ctl.h"

#define REPLY_MAX (16u << 20)
#define TIMEOUT_MS 5000

static int connect_keyd(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int read_all(int fd, char **out)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1), *bigger;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			if (cap >= REPLY_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			cap *= 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int ctl_keyd_call(const char *path, const char *module, const char *verb, bool quiet,
		  json_object **result)
{
	return ctl_keyd_call_args(path, module, verb, NULL, quiet, result);
}

int ctl_keyd_call_args(const char *path, const char *module, const char *verb, json_object *args,
		       bool quiet, json_object **result)
{
	json_object *req = json_object_new_object(), *reply = NULL, *ok, *val;
	const char *text;
	char *buf = NULL, why[256] = "";
	int fd, err;

	json_object_object_add(req, "module", json_object_new_string(module));
	json_object_object_add(req, "verb", json_object_new_string(verb));
	json_object_object_add(req, "args", args ? json_object_get(args) : json_object_new_array());
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	fd = connect_keyd(path);
	if (fd < 0) {
		err = fd;
		snprintf(why, sizeof(why), "%s %s: %s: %s (is mmlkeyd running on this node?)",
			 module, verb, path, strerror(-err));
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 ||
	    shutdown(fd, SHUT_WR)) {
		err = -errno;
		snprintf(why, sizeof(why), "%s %s: writing to %s: %s", module, verb, path,
			 strerror(-err));
		goto out;
	}
	err = read_all(fd, &buf);
	if (err) {
		snprintf(why, sizeof(why), "%s %s: reading from %s: %s", module, verb, path,
			 strerror(-err));
		goto out;
	}
	reply = json_tokener_parse(buf);
	if (!reply || !json_object_object_get_ex(reply, "ok", &ok)) {
		err = -EPROTO;
		snprintf(why, sizeof(why), "%s %s: mmlkeyd sent no valid reply", module, verb);
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		err = -EINVAL;
		snprintf(why, sizeof(why), "%s",
			 json_object_object_get_ex(reply, "error", &val) ?
				 json_object_get_string(val) :
				 "mmlkeyd refused the command");
		goto out;
	}
	*result = json_object_object_get_ex(reply, "result", &val) ? json_object_get(val) :
								     json_object_new_object();
out:
	if (err && !quiet)
		log_err("%s", why);
	if (fd >= 0)
		close(fd);
	free(buf);
	json_object_put(reply);
	json_object_put(req);
	return err;
}

const char *ctl_keyd_default_path(const struct ctl *ctl, char *buf, size_t len)
{
	const char *node = strrchr(ctl->dir.path, '/');

	node = node ? node + 1 : ctl->dir.path;
	snprintf(buf, len, "%s/%s.sock", MML_KEYD_SOCK_DIR, node);
	return buf;
}
