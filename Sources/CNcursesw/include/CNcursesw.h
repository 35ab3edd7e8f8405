#ifndef SB_CNCURSESW_H
#define SB_CNCURSESW_H

// ncursesw for Swift. SwiftPM drops the -D flags pkg-config prints, so the wide-character API is
// switched on here, before curses.h. Macros (attributes, colour pairs, getmaxyx, KEY_*) and the
// C globals Swift 6 rejects as not concurrency-safe are wrapped in functions.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <curses.h>
#include <wchar.h>

// Attributes.
int sb_A_NORMAL(void);
int sb_A_BOLD(void);
int sb_A_DIM(void);
int sb_A_REVERSE(void);
int sb_A_UNDERLINE(void);
int sb_A_ITALIC(void);
int sb_COLOR_PAIR(int pair);

// Terminal facts that are macros or globals.
int sb_getmaxy(WINDOW *window);
int sb_getmaxx(WINDOW *window);
int sb_COLORS(void);
int sb_COLOR_PAIRS(void);
int sb_KEY_RESIZE(void);
int sb_KEY_UP(void);
int sb_KEY_DOWN(void);
int sb_KEY_LEFT(void);
int sb_KEY_RIGHT(void);
int sb_KEY_BACKSPACE(void);
int sb_KEY_ENTER(void);
int sb_KEY_BTAB(void);
int sb_KEY_HOME(void);
int sb_KEY_END(void);
int sb_KEY_NPAGE(void);
int sb_KEY_PPAGE(void);
int sb_KEY_DC(void);
int sb_KEY_CODE_YES(void);
int sb_ERR(void);
int sb_OK(void);

/// Writes one character cell (a grapheme given as wide characters) with attributes and a colour pair.
int sb_put_cell(WINDOW *window, int y, int x, const wchar_t *text, int attributes, short pair);

/// The number of terminal columns a wide character occupies (-1 if unprintable).
int sb_wcwidth(wchar_t character);

#endif
