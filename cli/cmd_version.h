#ifndef KYSO_CMD_VERSION_H
#define KYSO_CMD_VERSION_H
int kyso_cmd_version(int argc, char **argv);
#endif
