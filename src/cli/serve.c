/*
 * serve.c -- `daoc serve`: the Admin API (daoc_admin_start) until SIGTERM
 * or SIGINT, then a graceful stop: no new connection is accepted and the
 * requests in flight are answered (up to 10 s) before the process exits
 * with status 0.  The signals are blocked before the server threads start
 * (so they inherit the mask) and taken with sigwait.  As the runner does,
 * serve creates the tables the schemas describe unless create_tables is
 * set.  It prints one line per listener on stdout ("daoc: Admin API
 * listening on 127.0.0.1:8001"), with the real port when admin_listen
 * asked for port 0, and warns on stderr when an address is not loopback
 * and no admin_token is set.
 *
 *   daoc [-c FILE] serve [--listen ADDRESSES]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void serve_usage(FILE *f)
{
    fputs("Usage: daoc [-c FILE] serve [--listen ADDRESSES]\n"
          "\n"
          "Serves Kong's Admin API for every loaded entity on admin_listen (default\n"
          "127.0.0.1:8001; --listen overrides it, e.g. 127.0.0.1:0 for a free port)\n"
          "until SIGTERM or SIGINT.\n",
          f);
}

static bool loopback(const char *item, size_t n)
{
    while (n && *item == ' ')
        item++, n--;
    return strncmp(item, "127.", 4) == 0 || strncmp(item, "[::1]", 5) == 0 ||
           strncmp(item, "localhost:", 10) == 0;
}

int daoc_cli_serve(const char *conf, int argc, char **argv)
{
    const char *listen = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            serve_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen = argv[++i];
        } else {
            fprintf(stderr, "daoc serve: unknown argument '%s'\n", argv[i]);
            serve_usage(stderr);
            return 2;
        }
    }
    daoc_config *cfg = daoc_cli_config(conf);
    if (!cfg)
        return 1;
    daoc_cli_log_everything();
    daoc_error *err = NULL;
    int rc = DAOC_OK;
    if (listen)
        rc = daoc_config_set(cfg, "admin_listen", listen, &err);
    if (rc == DAOC_OK && !daoc_config_get(cfg, "create_tables")[0])
        rc = daoc_config_set(cfg, "create_tables", "on", &err);
    if (rc != DAOC_OK) {
        fprintf(stderr, "daoc: invalid configuration: %s\n",
                err ? daoc_error_message(err) : daoc_strerror(rc));
        daoc_error_free(err);
        daoc_config_free(cfg);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    daoc_admin *a = NULL;
    rc = daoc_admin_start(&a, cfg, &err);
    if (rc != DAOC_OK) {
        fprintf(stderr, "daoc: cannot start the Admin API: %s\n",
                err ? daoc_error_string(err) : daoc_strerror(rc));
        daoc_error_free(err);
        daoc_config_free(cfg);
        return 1;
    }
    const char *item = daoc_config_get(cfg, "admin_listen");
    bool token = daoc_config_get(cfg, "admin_token")[0] != '\0';
    for (size_t i = 0; i < daoc_admin_listeners(a) && item && *item; i++) {
        size_t n = strcspn(item, ",");
        const char *p = item;
        while (*p == ' ')
            p++;
        size_t host = 0;
        for (size_t k = 0; p + k < item + n && p[k] != ' '; k++)
            if (p[k] == ':')
                host = k;
        printf("daoc: Admin API listening on %.*s:%d\n", (int)host, p, daoc_admin_port(a, i));
        if (!loopback(item, n) && !token)
            fprintf(stderr,
                    "[warn] the Admin API listens on %.*s, beyond this host, and no "
                    "admin_token is set: anyone who reaches it can change everything\n",
                    (int)host, p);
        item += n + (item[n] == ',');
    }
    fflush(stdout);
    sigdelset(&set, SIGPIPE);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "daoc: %s: stopping the Admin API\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    daoc_admin_stop(a, 10000);
    daoc_config_free(cfg);
    return 0;
}
