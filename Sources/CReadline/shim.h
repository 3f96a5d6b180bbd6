// GNU readline and history (Debian: libreadline-dev; pkg-config `readline`).
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
