/*
 * cli.h -- what the files of the command line share (main.c: options,
 * configuration loading; migrations.c: `daoc migrations`; serve.c:
 * `daoc serve`).
 */
#ifndef DAOC_CLI_CLI_H
#define DAOC_CLI_CLI_H

#include <stdio.h>

#include "daoc.h"

/* The configuration of `-c FILE` (or the default file), its log going to
 * stderr; NULL after printing why it could not be read. */
daoc_config *daoc_cli_config(const char *conf);
/* Prints every message the library logs (serve: the server filters by
 * log_level itself, and changes it while it runs). */
void daoc_cli_log_everything(void);
/* node.c: the process's cache kept true by its changes and the cluster's
 * (NULL when the cache cannot be made); stop before closing db. */
typedef struct daoc_cli_node daoc_cli_node;
daoc_cli_node *daoc_cli_node_start(const daoc_config *cfg, daoc_db *db);
void daoc_cli_node_stop(daoc_cli_node *node, daoc_db *db);

int daoc_cli_migrations(const char *conf, int argc, char **argv);
int daoc_cli_serve(const char *conf, int argc, char **argv);
void daoc_cli_migrations_usage(FILE *f);

#endif
