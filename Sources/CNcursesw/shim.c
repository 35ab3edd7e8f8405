#define _XOPEN_SOURCE 700
#include "CNcursesw.h"

int sb_A_NORMAL(void) { return A_NORMAL; }
int sb_A_BOLD(void) { return A_BOLD; }
int sb_A_DIM(void) { return A_DIM; }
int sb_A_REVERSE(void) { return A_REVERSE; }
int sb_A_UNDERLINE(void) { return A_UNDERLINE; }
int sb_A_ITALIC(void) { return A_ITALIC; }
int sb_COLOR_PAIR(int pair) { return COLOR_PAIR(pair); }

int sb_getmaxy(WINDOW *window) { return getmaxy(window); }
int sb_getmaxx(WINDOW *window) { return getmaxx(window); }
int sb_COLORS(void) { return COLORS; }
int sb_COLOR_PAIRS(void) { return COLOR_PAIRS; }
int sb_KEY_RESIZE(void) { return KEY_RESIZE; }
int sb_KEY_UP(void) { return KEY_UP; }
int sb_KEY_DOWN(void) { return KEY_DOWN; }
int sb_KEY_LEFT(void) { return KEY_LEFT; }
int sb_KEY_RIGHT(void) { return KEY_RIGHT; }
int sb_KEY_BACKSPACE(void) { return KEY_BACKSPACE; }
int sb_KEY_ENTER(void) { return KEY_ENTER; }
int sb_KEY_BTAB(void) { return KEY_BTAB; }
int sb_KEY_HOME(void) { return KEY_HOME; }
int sb_KEY_END(void) { return KEY_END; }
int sb_KEY_NPAGE(void) { return KEY_NPAGE; }
int sb_KEY_PPAGE(void) { return KEY_PPAGE; }
int sb_KEY_DC(void) { return KEY_DC; }
int sb_KEY_CODE_YES(void) { return KEY_CODE_YES; }
int sb_ERR(void) { return ERR; }
int sb_OK(void) { return OK; }

int sb_put_cell(WINDOW *window, int y, int x, const wchar_t *text, int attributes, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, (attr_t)attributes, pair, NULL) == ERR) {
        return ERR;
    }
    return mvwadd_wch(window, y, x, &cell);
}

int sb_wcwidth(wchar_t character) { return wcwidth(character); }
