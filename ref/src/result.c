#include "sgp/result.h"

#include <string.h>

struct sgp_err_row {
  sgp_err code;
  const char *name;
  const char *text;
};

static const struct sgp_err_row rows[] = {
#define SGP_ERR_ROW_(name, num, str) {name, #name, str},
    SGP_ERR_LIST(SGP_ERR_ROW_)
#undef SGP_ERR_ROW_
};

static const struct sgp_err_row *find(sgp_err e) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (rows[i].code == e) return &rows[i];
  return NULL;
}

const char *sgp_err_name(sgp_err e) {
  const struct sgp_err_row *r = find(e);
  return r ? r->name : "SGP_ERR_UNKNOWN";
}

const char *sgp_err_str(sgp_err e) {
  const struct sgp_err_row *r = find(e);
  return r ? r->text : "unknown error";
}

sgp_err sgp_err_from_name(const char *name, int *found) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    if (strcmp(rows[i].name, name) == 0) {
      *found = 1;
      return rows[i].code;
    }
  }
  *found = 0;
  return SGP_ERR_INVALID_ARG;
}
