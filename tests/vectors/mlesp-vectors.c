/* mlesp-vectors FILE: run ML-ESP known-answer vectors (the format of
 * shared/vectors/mlesp.json) through the codec. For each vector: encapsulate
 * inner_packet and compare with esp byte for byte, decapsulate esp and compare
 * with inner_packet, and check that the FA's view (zone 1 key only) returns
 * the first L1 bytes of the ESP payload. Exit status 1 on any failure. */
#include <stdio.h>

#include <json-c/json.h>

#include "tests/vectors/mlesp-kat.h"

int main(int argc, char **argv)
{
	json_object *root, *vectors;
	int passed = 0, failed = 0;
	char why[256];

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTORS.json\n", argv[0]);
		return 2;
	}
	root = json_object_from_file(argv[1]);
	if (!root) {
		fprintf(stderr, "%s: %s\n", argv[1], json_util_get_last_err());
		return 2;
	}
	if (!json_object_object_get_ex(root, "vectors", &vectors) ||
	    !json_object_is_type(vectors, json_type_array)) {
		fprintf(stderr, "%s: no \"vectors\" array\n", argv[1]);
		json_object_put(root);
		return 2;
	}
	for (size_t i = 0; i < json_object_array_length(vectors); i++) {
		struct mlesp_kat_vector vec;
		int err;

		why[0] = '\0';
		err = mlesp_kat_parse(json_object_array_get_idx(vectors, i), &vec, why,
				      sizeof(why));
		if (!err)
			err = mlesp_kat_check(&vec, why, sizeof(why));
		printf("%-4s vector %zu: %s%s%s\n", err ? "FAIL" : "ok", i + 1, vec.description,
		       err ? ": " : "", err ? why : "");
		err ? failed++ : passed++;
		mlesp_kat_free(&vec);
	}
	printf("%d passed, %d failed\n", passed, failed);
	json_object_put(root);
	return failed ? 1 : 0;
}
