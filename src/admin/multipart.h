/*
 * multipart.h -- multipart/form-data request bodies as the flat argument
 * list of args.h (Kong reads them with its multipart parser, then decodes
 * them as it does form bodies).
 */
#ifndef DAOC_ADMIN_MULTIPART_H
#define DAOC_ADMIN_MULTIPART_H

#include <stddef.h>

#include "admin/args.h"

/* Appends one pair per named part of body[0..len) to out.  The boundary
 * comes from content_type ("multipart/form-data; boundary=X", quoted or
 * not); the name from the part's Content-Disposition name="..."; the value
 * is the part's content exactly (binary safe; a file part's content too);
 * json is set for a part with Content-Type application/json.  Parts
 * without a name are skipped.  A missing boundary or a body that is not a
 * closed multipart body (truncated, no delimiter, headers without an end):
 * DAOC_EINVAL; more than max parts in out: DAOC__ARGS_ETOOMANY; DAOC_ENOMEM.
 * Never reads outside body[0..len).  Free out with daoc__args_free in
 * every case. */
int daoc__args_parse_multipart(const char *body, size_t len, const char *content_type, size_t max,
                               daoc__args *out);

#endif
