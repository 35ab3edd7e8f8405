import CCurl
import Foundation
import Synchronization

/// One request in flight: its easy handle, the continuations that deliver its head and body, and
/// its timing.
///
/// `@unchecked Sendable`: before `submit` only the calling task touches it; after, the mutable
/// state is used only on the I/O thread (libcurl calls the callbacks there). The one field other
/// threads write, the cancellation flag, is atomic.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let timeouts: HTTPTimeouts
    let maxResponseBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let cancelled = Atomic<Bool>(false)

    var headContinuation: CheckedContinuation<HTTPResponseHead, any Error>?
    var bodyContinuation: AsyncThrowingStream<[UInt8], any Error>.Continuation?

    private var status = 0
    private var headers: [String: String] = [:]
    private var headDelivered = false
    private var bodyBytes = 0
    var startedAt: ContinuousClock.Instant = .now
    private var firstByteAt: ContinuousClock.Instant?
    private var lastActivity: ContinuousClock.Instant?
    /// Why the transfer was aborted from a callback, reported instead of libcurl's write error.
    private(set) var abortReason: HTTPError?

    init(request: HTTPRequest, maxResponseBytes: Int) throws(HTTPError) {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw HTTPError(.invalidURL, "not an http(s) URL: \(request.url)")
        }
        guard let easy = curl_easy_init() else {
            throw HTTPError(.other, "libcurl could not create a transfer")
        }
        self.easy = easy
        self.timeouts = request.timeouts
        self.maxResponseBytes = maxResponseBytes
        errorBuffer.initialize(to: 0)

        sb_curl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        sb_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        sb_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.timeouts.connect))
        sb_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeouts.total))
        sb_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        sb_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        sb_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        sb_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        if let body = request.body {
            sb_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                _ = sb_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            }
        }
        if request.method != "GET" || request.body != nil {
            sb_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // No "Expect: 100-continue" round trip before a body.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        sb_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)

        let context = Unmanaged.passUnretained(self).toOpaque()
        sb_curl_easy_setopt_write_function(easy, curlWriteCallback)
        sb_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        sb_curl_easy_setopt_header_function(easy, curlHeaderCallback)
        sb_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
    }

    /// Set once the I/O thread has cleaned up the easy handle.
    private var released = false

    deinit {
        // A transfer that reached the I/O thread was released there; one that never did (refused
        // before start) is cleaned up here, where nothing else can be using it.
        if !released { curl_easy_cleanup(easy) }
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Frees the easy handle. Called on the I/O thread after the handle left the multi handle:
    /// libcurl handles must not be used from two threads at once, and the consumer's thread,
    /// where the last reference may drop, could otherwise run this during `curl_multi_perform`.
    func release() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(easy)
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func markCancelled() { cancelled.store(true, ordering: .relaxed) }

    // MARK: - Callbacks (I/O thread)

    func receiveHeader(_ line: UnsafeRawBufferPointer) -> Int {
        noteActivity()
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            // A new response (after a 1xx, say): start over.
            headers = [:]
            status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if text.isEmpty {
            if status >= 200 { deliverHead() }
        } else if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return line.count
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        noteActivity()
        if isCancelled {
            abortReason = HTTPError(.cancelled, "the request was cancelled")
            return 0
        }
        bodyBytes += bytes.count
        if bodyBytes > maxResponseBytes {
            abortReason = HTTPError(.responseTooLarge, "the response is larger than \(maxResponseBytes) bytes")
            return 0
        }
        deliverHead()
        bodyContinuation?.yield(Array(bytes))
        return bytes.count
    }

    private func noteActivity() {
        let now = ContinuousClock.now
        if firstByteAt == nil { firstByteAt = now }
        lastActivity = now
    }

    private func deliverHead() {
        guard !headDelivered else { return }
        headDelivered = true
        headContinuation?.resume(returning: HTTPResponseHead(status: status, headers: headers))
        headContinuation = nil
    }

    // MARK: - Timing (I/O thread)

    /// The error if the transfer is past its first-byte or idle deadline at `now`.
    func timeoutError(now: ContinuousClock.Instant) -> HTTPError? {
        guard let deadline = nextDeadline, now >= deadline else { return nil }
        return lastActivity == nil
            ? HTTPError(.firstByteTimeout, "no response within \(timeouts.firstByte)")
            : HTTPError(.idleTimeout, "no data for \(timeouts.idle) in the middle of the response")
    }

    /// When this transfer's own timer next expires: the idle gap once data flows; before that,
    /// the first-byte limit counted from when the request could be sent (libcurl's pre-transfer
    /// time), or from the connect limit while still connecting.
    var nextDeadline: ContinuousClock.Instant? {
        if let lastActivity { return lastActivity + timeouts.idle }
        var sentAfter = 0.0
        sb_curl_easy_getinfo_double(easy, CURLINFO_PRETRANSFER_TIME, &sentAfter)
        let sendingStarted = sentAfter > 0 ? startedAt + .milliseconds(Int(sentAfter * 1000)) : startedAt + timeouts.connect
        return sendingStarted + timeouts.firstByte
    }

    // MARK: - Completion (I/O thread)

    func complete() {
        deliverHead()
        bodyContinuation?.finish()
        bodyContinuation = nil
    }

    func fail(_ error: HTTPError) {
        if let headContinuation {
            headContinuation.resume(throwing: error)
            self.headContinuation = nil
            headDelivered = true
        }
        bodyContinuation?.finish(throwing: error)
        bodyContinuation = nil
    }

    /// Maps a libcurl result to an ``HTTPError``.
    func translate(_ code: CURLcode) -> HTTPError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_URL_MALFORMAT:
            return HTTPError(.invalidURL, detail)
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return HTTPError(.couldNotConnect, detail)
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime = 0.0
            sb_curl_easy_getinfo_double(easy, CURLINFO_CONNECT_TIME, &connectTime)
            if connectTime == 0 { return HTTPError(.connectTimeout, "could not connect within \(timeouts.connect)") }
            if firstByteAt == nil { return HTTPError(.firstByteTimeout, "no response within the total time limit of \(timeouts.total)") }
            return HTTPError(.totalTimeout, "the response took longer than \(timeouts.total)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE:
            return HTTPError(.tls, detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return HTTPError(.connectionLost, detail)
        // The URL's scheme was checked before sending, so an "unsupported protocol" now is a server
        // answering with something that is not HTTP (libcurl calls it HTTP/0.9).
        case CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPError(.invalidResponse, detail)
        default:
            return HTTPError(.other, detail)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
