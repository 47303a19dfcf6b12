/* Helpers the cluster tests share: a default cluster per test (cmocka
 * setup/teardown with the fr_cluster in *state) and a node's port. */
#ifndef FR_TEST_CLUSTERUTIL_H
#define FR_TEST_CLUSTERUTIL_H

#include "fakeredis/cluster.h"

/* fr_cluster_start(NULL) into *state; -1 when it fails. */
int tu_cluster_setup(void **state);
/* fr_cluster_stop(*state). */
int tu_cluster_teardown(void **state);
/* The TCP port of node i. */
int tu_cluster_port(fr_cluster *cl, int i);

#endif
