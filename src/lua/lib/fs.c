/*
 * fs.c -- the read-only half of LuaFileSystem (`lfs`) for plugin files:
 * attributes and symlinkattributes (stat/lstat, with lfs's field names and
 * mode words), dir (a directory iterator) and currentdir.  Kong's plugin
 * modules require lfs at load time (request-size-limiting's handler, which
 * its schema.lua requires) and Penlight's pl.path, pl.dir and pl.file sit
 * on it.  What would write (mkdir, rmdir, touch, chdir, link, lock) is not
 * offered to plugin code: libs.lua answers those with nil and a message,
 * as lfs answers a failed call.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/lib/lib.h"

#define DIR_MT "daoc.lfs.dir"

static const char *mode_word(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "directory";
    if (S_ISLNK(m))
        return "link";
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISFIFO(m))
        return "named pipe";
    if (S_ISCHR(m))
        return "char device";
    if (S_ISBLK(m))
        return "block device";
    return "other";
}

static void push_permissions(lua_State *L, mode_t m)
{
    char p[10];
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        p[i] = (m & (mode_t)(0400 >> i)) ? rwx[i] : '-';
    lua_pushlstring(L, p, 9);
}

/* Pushes attribute `name` of st; false when lfs has no such attribute. */
static bool push_attr(lua_State *L, const struct stat *st, const char *name)
{
    if (strcmp(name, "mode") == 0)
        lua_pushstring(L, mode_word(st->st_mode));
    else if (strcmp(name, "size") == 0)
        lua_pushnumber(L, (lua_Number)st->st_size);
    else if (strcmp(name, "modification") == 0)
        lua_pushnumber(L, (lua_Number)st->st_mtime);
    else if (strcmp(name, "access") == 0)
        lua_pushnumber(L, (lua_Number)st->st_atime);
    else if (strcmp(name, "change") == 0)
        lua_pushnumber(L, (lua_Number)st->st_ctime);
    else if (strcmp(name, "ino") == 0)
        lua_pushnumber(L, (lua_Number)st->st_ino);
    else if (strcmp(name, "dev") == 0)
        lua_pushnumber(L, (lua_Number)st->st_dev);
    else if (strcmp(name, "rdev") == 0)
        lua_pushnumber(L, (lua_Number)st->st_rdev);
    else if (strcmp(name, "nlink") == 0)
        lua_pushnumber(L, (lua_Number)st->st_nlink);
    else if (strcmp(name, "uid") == 0)
        lua_pushnumber(L, (lua_Number)st->st_uid);
    else if (strcmp(name, "gid") == 0)
        lua_pushnumber(L, (lua_Number)st->st_gid);
    else if (strcmp(name, "blocks") == 0)
        lua_pushnumber(L, (lua_Number)st->st_blocks);
    else if (strcmp(name, "blksize") == 0)
        lua_pushnumber(L, (lua_Number)st->st_blksize);
    else if (strcmp(name, "permissions") == 0)
        push_permissions(L, st->st_mode);
    else
        return false;
    return true;
}

static const char *const ATTRS[] = {"mode",  "size",  "modification", "access",
                                    "change", "ino",  "dev",          "rdev",
                                    "nlink", "uid",   "gid",          "blocks",
                                    "blksize", "permissions"};

static int attributes(lua_State *L, bool link)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if ((link ? lstat(path, &st) : stat(path, &st)) != 0) {
        int e = errno;
        lua_pushnil(L);
        lua_pushfstring(L, "cannot obtain information from file '%s': %s", path, strerror(e));
        lua_pushinteger(L, e);
        return 3;
    }
    if (lua_type(L, 2) == LUA_TSTRING) {
        if (!push_attr(L, &st, lua_tostring(L, 2)))
            return luaL_error(L, "invalid attribute name '%s'", lua_tostring(L, 2));
        return 1;
    }
    lua_createtable(L, 0, (int)(sizeof ATTRS / sizeof ATTRS[0]));
    for (size_t i = 0; i < sizeof ATTRS / sizeof ATTRS[0]; i++) {
        push_attr(L, &st, ATTRS[i]);
        lua_setfield(L, -2, ATTRS[i]);
    }
    return 1;
}

static int l_attributes(lua_State *L) { return attributes(L, false); }
static int l_symlinkattributes(lua_State *L) { return attributes(L, true); }

static int l_currentdir(lua_State *L)
{
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushstring(L, buf);
    return 1;
}

typedef struct {
    DIR *d;
} dir_box;

static int dir_close(lua_State *L)
{
    dir_box *b = luaL_checkudata(L, 1, DIR_MT);
    if (b->d) {
        closedir(b->d);
        b->d = NULL;
    }
    return 0;
}

static int dir_next(lua_State *L)
{
    dir_box *b = luaL_checkudata(L, 1, DIR_MT);
    if (!b->d)
        return luaL_error(L, "calling 'next' on a closed directory");
    struct dirent *e = readdir(b->d);
    if (!e) {
        closedir(b->d);
        b->d = NULL;
        return 0;
    }
    lua_pushstring(L, e->d_name);
    return 1;
}

/* dir(path) -> iterator, dir object (for `for name in lfs.dir(p)`) */
static int l_dir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_pushcfunction(L, dir_next);
    dir_box *b = lua_newuserdata(L, sizeof *b);
    b->d = NULL;
    luaL_getmetatable(L, DIR_MT);
    lua_setmetatable(L, -2);
    b->d = opendir(path);
    if (!b->d)
        return luaL_error(L, "cannot open %s: %s", path, strerror(errno));
    return 2;
}

void daoc__lua_lib_fs(lua_State *L)
{
    static const luaL_Reg methods[] = {{"next", dir_next}, {"close", dir_close}, {NULL, NULL}};
    daoc__lua_lib_class(L, DIR_MT, methods, dir_close, "lfs directory");
    lua_pushcfunction(L, l_attributes);
    lua_setfield(L, -2, "fs_attributes");
    lua_pushcfunction(L, l_symlinkattributes);
    lua_setfield(L, -2, "fs_symlinkattributes");
    lua_pushcfunction(L, l_currentdir);
    lua_setfield(L, -2, "fs_currentdir");
    lua_pushcfunction(L, l_dir);
    lua_setfield(L, -2, "fs_dir");
}
