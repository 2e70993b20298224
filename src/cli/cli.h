/* The vessel command line: one file per command. Only code here may exit the process. */
#ifndef VESSEL_CLI_CLI_H
#define VESSEL_CLI_CLI_H

/* Exit statuses of vessel itself (a guest's exit-port status passes through as is). */
#define CLI_EXIT_USAGE 1 /* bad command line or input found before the guest ran */
#define CLI_EXIT_CRASH 2 /* the guest crashed: triple fault, emulation failure */

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_balloon(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_memd(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
