/* One print path for every command: results are built as a json-c tree,
 * then printed as JSON (-j, -p) or as `ip`-style text from the same tree. */
#ifndef MML_LIB_OUT_H
#define MML_LIB_OUT_H

#include <stdio.h>

#include <json-c/json.h>

enum mml_out_format {
	MML_OUT_TEXT,
	MML_OUT_JSON,
	MML_OUT_JSON_PRETTY,
};

/* Text form: an array prints one element per line, an element object with
 * scalar members as one line of "key value" pairs (like `ip`); a lone object
 * prints one "key value" member per line; nested containers print as "key:"
 * and an indented block. */
void mml_out_print(FILE *f, json_object *obj, enum mml_out_format format);

#endif
