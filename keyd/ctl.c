/* The control socket: a Unix stream socket, one JSON request per
 * connection, answered by the module it names (keyd.h). Connections are
 * non-blocking and served by the event loop, so a slow client never stalls
 * the protocol. The socket is mode 0600 in a 0700 directory: the commands
 * change mobility state. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/log.h"

struct ctl_server {
	struct keyd *kd;
	int fd;
	char path[108];
	const struct keyd_module *const *mods;
	void *const *states;
	size_t n_mods;
};

struct ctl_conn {
	struct ctl_server *srv;
	int fd;
	char *buf; /* request, then reply */
	size_t len, sent;
	bool replying;
};

static void conn_close(struct ctl_conn *c)
{
	loop_del_fd(c->srv->kd->loop, c->fd);
	close(c->fd);
	free(c->buf);
	free(c);
}

static json_object *error_reply(const char *msg)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(false));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

/* Validate, then interpret: module and verb are strings, args (optional)
 * an array of strings, as keyd_module.control expects. A JSON null where a
 * string belongs has no string (json_object_get_string gives NULL), so
 * anything else is refused here, before a module sees it. */
static const char *request_check(json_object *req, json_object **args)
{
	json_object *v;

	*args = NULL;
	if (!req || !json_object_is_type(req, json_type_object))
		return "request is not {\"module\": ..., \"verb\": ...}";
	if (!json_object_object_get_ex(req, "module", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "request: \"module\" must be a string";
	if (!json_object_object_get_ex(req, "verb", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "request: \"verb\" must be a string";
	if (!json_object_object_get_ex(req, "args", args))
		return NULL;
	if (!json_object_is_type(*args, json_type_array))
		return "request: \"args\" must be an array of strings";
	for (size_t i = 0; i < json_object_array_length(*args); i++)
		if (!json_object_is_type(json_object_array_get_idx(*args, i), json_type_string))
			return "request: \"args\" must be an array of strings";
	return NULL;
}

static json_object *dispatch(struct ctl_server *srv, const char *text)
{
	json_object *req = json_tokener_parse(text), *jmod, *jverb, *args, *result = NULL, *r;
	const char *mod, *verb, *bad = request_check(req, &args);
	char err[256] = "";
	int ret;

	if (bad) {
		json_object_put(req);
		return error_reply(bad);
	}
	json_object_object_get_ex(req, "module", &jmod);
	json_object_object_get_ex(req, "verb", &jverb);
	mod = json_object_get_string(jmod);
	verb = json_object_get_string(jverb);
	for (size_t i = 0; i < srv->n_mods; i++) {
		if (strcmp(srv->mods[i]->name, mod) || !srv->states[i])
			continue;
		ret = srv->mods[i]->control(srv->states[i], verb, args, &result, err, sizeof(err));
		json_object_put(req);
		if (ret) {
			if (!err[0])
				snprintf(err, sizeof(err), "%s", strerror(-ret));
			return error_reply(err);
		}
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(true));
		json_object_object_add(r, "result", result ? result : json_object_new_object());
		return r;
	}
	snprintf(err, sizeof(err), "module \"%s\" is not running in this daemon", mod);
	json_object_put(req);
	return error_reply(err);
}

static void conn_reply(struct ctl_conn *c)
{
	json_object *reply;
	const char *text;

	c->buf[c->len] = '\0';
	reply = dispatch(c->srv, c->buf);
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	free(c->buf);
	c->len = strlen(text);
	c->buf = malloc(c->len + 1);
	if (c->buf)
		memcpy(c->buf, text, c->len + 1);
	json_object_put(reply);
	c->sent = 0;
	c->replying = true;
	if (!c->buf || loop_mod_fd(c->srv->kd->loop, c->fd, EPOLLOUT))
		conn_close(c);
}

static void conn_event(void *arg, uint32_t events)
{
	struct ctl_conn *c = arg;
	ssize_t n;

	if (c->replying) {
		n = send(c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || (c->sent += (size_t)n) == c->len)
			conn_close(c);
		return;
	}
	n = recv(c->fd, c->buf + c->len, MML_KEYD_REQUEST_MAX - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	/* The request ends at a newline or when the client shuts down. */
	if (n == 0 || memchr(c->buf + c->len - (size_t)n, '\n', (size_t)n) ||
	    c->len == MML_KEYD_REQUEST_MAX)
		conn_reply(c);
}

static void accept_event(void *arg, uint32_t events)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *c;
	int fd;

	fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(MML_KEYD_REQUEST_MAX + 1);
	if (!c || !c->buf) {
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	if (loop_add_fd(srv->kd->loop, fd, EPOLLIN, conn_event, c)) {
		close(fd);
		free(c->buf);
		free(c);
	}
}

/* Creates the socket's directory (mode 0700) when it is ours to create. */
static int make_dir(const char *path)
{
	char dir[108], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_server_start(struct keyd *kd, const char *path, const struct keyd_module *const *mods,
		     void *const *states, size_t n_mods, struct ctl_server **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	mode_t old_mask;
	int err;

	if (!srv)
		return -ENOMEM;
	srv->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	err = make_dir(path);
	if (err)
		goto out;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0) {
		err = -errno;
		goto out;
	}
	/* A socket file left by a killed daemon: replace it. A live one is
	 * not ours to replace, and cannot be: main holds the socket's lock
	 * (keyd/harden.c) before we get here. */
	unlink(path);
	old_mask = umask(0077);
	err = bind(srv->fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old_mask);
	if (err)
		goto out;
	if (listen(srv->fd, 16)) {
		err = -errno;
		goto out;
	}
	srv->kd = kd;
	srv->mods = mods;
	srv->states = states;
	srv->n_mods = n_mods;
	err = loop_add_fd(kd->loop, srv->fd, EPOLLIN, accept_event, srv);
	if (err)
		goto out;
	*out = srv;
	return 0;
out:
	log_err("control socket %s: %s", path, strerror(-err));
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	return err;
}

void ctl_server_stop(struct ctl_server *srv)
{
	if (!srv)
		return;
	loop_del_fd(srv->kd->loop, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
}
