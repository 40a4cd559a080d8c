/* The air node's association switch (tests/netns/bed.sh handoff): the MH's
 * port loses carrier, its old cell stops delivering, (a gap), the new cell
 * is wired in and carrier returns, all from one process so that the switch
 * costs what the emulated radio says (the gap) rather than the time of the
 * shell commands that used to do it (60-200 ms, more on a loaded machine). */
#ifndef MML_BED_AIR_H
#define MML_BED_AIR_H

#define MML_AIR_STEPS_MAX 4

struct mml_air_handoff {
	const char *dev;		     /* the MH's port in the air node */
	const char *drop[MML_AIR_STEPS_MAX]; /* ports whose frames go nowhere from link-down */
	unsigned int n_drop;
	const char *from[MML_AIR_STEPS_MAX]; /* at link-up: frames entering from[i] */
	const char *to[MML_AIR_STEPS_MAX];   /* leave through to[i] */
	unsigned int n_connect;
	unsigned int gap_ms; /* between link-down and link-up */
};

/* Runs in the air node's network namespace; pin_dir holds air_ports.
 * t_down, t_up: CLOCK_REALTIME seconds of link-down and link-up. Returns 0
 * or a negative errno (logged). */
int mml_air_handoff(const char *pin_dir, const struct mml_air_handoff *h, double *t_down,
		    double *t_up);

#endif
