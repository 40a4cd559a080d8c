#include "lib/out.h"

#include <stdbool.h>

static bool is_scalar(json_object *o)
{
	return !json_object_is_type(o, json_type_object) &&
	       !json_object_is_type(o, json_type_array);
}

static bool all_scalar(json_object *obj)
{
	json_object_object_foreach(obj, key, val)
	{
		(void)key;
		if (!is_scalar(val))
			return false;
	}
	return true;
}

static void print_scalar(FILE *f, json_object *v)
{
	if (!v)
		fputs("-", f);
	else if (json_object_is_type(v, json_type_boolean))
		fputs(json_object_get_boolean(v) ? "yes" : "no", f);
	else
		fputs(json_object_get_string(v), f);
}

static void print_text(FILE *f, json_object *o, int depth, bool in_array);

static void print_object(FILE *f, json_object *obj, int depth, bool in_array)
{
	if (in_array && all_scalar(obj)) {
		bool first = true;

		fprintf(f, "%*s", depth * 2, "");
		json_object_object_foreach(obj, key, val)
		{
			fprintf(f, "%s%s ", first ? "" : " ", key);
			print_scalar(f, val);
			first = false;
		}
		fputc('\n', f);
		return;
	}
	json_object_object_foreach(obj, key, val)
	{
		if (is_scalar(val)) {
			fprintf(f, "%*s%-22s ", depth * 2, "", key);
			print_scalar(f, val);
			fputc('\n', f);
		} else {
			fprintf(f, "%*s%s:\n", depth * 2, "", key);
			print_text(f, val, depth + 1, false);
		}
	}
}

static void print_text(FILE *f, json_object *o, int depth, bool in_array)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			print_text(f, json_object_array_get_idx(o, i), depth, true);
	} else if (json_object_is_type(o, json_type_object)) {
		print_object(f, o, depth, in_array);
	} else {
		fprintf(f, "%*s", depth * 2, "");
		print_scalar(f, o);
		fputc('\n', f);
	}
}

void mml_out_print(FILE *f, json_object *obj, enum mml_out_format format)
{
	if (!obj)
		return;
	if (format == MML_OUT_TEXT) {
		print_text(f, obj, 0, false);
		return;
	}
	fputs(json_object_to_json_string_ext(obj, format == MML_OUT_JSON_PRETTY ?
							  JSON_C_TO_STRING_PRETTY :
							  JSON_C_TO_STRING_PLAIN),
	      f);
	fputc('\n', f);
}
