/* The subcommands of `kyso`: one cmd_<name>.c each, in this folder, on top of
 * the libraries' public headers. `kyso` (kyso_main.c) dispatches to them; on
 * Linux each is also its own program libexec/kyso/kyso-<name> (cmd_main.c). */
#ifndef KYSO_CLI_COMMANDS_H
#define KYSO_CLI_COMMANDS_H

int kyso_cmd_detect(int argc, char **argv);
int kyso_cmd_setup(int argc, char **argv);
int kyso_cmd_sign(int argc, char **argv);
int kyso_cmd_verify(int argc, char **argv);
int kyso_cmd_timestamp(int argc, char **argv);
int kyso_cmd_doctor(int argc, char **argv);
int kyso_cmd_reports(int argc, char **argv);
int kyso_cmd_version(int argc, char **argv);

#endif
