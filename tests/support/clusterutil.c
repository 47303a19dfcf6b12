#include "support/clusterutil.h"

int tu_cluster_setup(void **state)
{
    fr_cluster *cl;
    if (fr_cluster_start(NULL, &cl) != FR_OK)
        return -1;
    *state = cl;
    return 0;
}

int tu_cluster_teardown(void **state)
{
    fr_cluster_stop(*state);
    return 0;
}

int tu_cluster_port(fr_cluster *cl, int i)
{
    return fr_server_port(fr_cluster_node(cl, i));
}
