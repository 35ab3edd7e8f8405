#ifndef SB_CCURL_H
#define SB_CCURL_H

// libcurl for Swift: curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, so
// Swift cannot call them; these typed wrappers can be.
#include <curl/curl.h>

CURLcode sb_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode sb_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode sb_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode sb_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode sb_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode sb_curl_easy_setopt_write_function(CURL *handle, size_t (*callback)(char *, size_t, size_t, void *));
CURLcode sb_curl_easy_setopt_header_function(CURL *handle, size_t (*callback)(char *, size_t, size_t, void *));
CURLcode sb_curl_easy_setopt_xferinfo_function(CURL *handle, int (*callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));

CURLcode sb_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode sb_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode sb_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

CURLMcode sb_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// The value libcurl's write callback returns to pause a transfer.
size_t sb_CURL_WRITEFUNC_PAUSE(void);

/// The libcurl version string, e.g. "libcurl/7.88.1 OpenSSL/3.0.15 zlib/1.2.13".
const char *sb_curl_version(void);

#endif
