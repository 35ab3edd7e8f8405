import CCurl
import Foundation
import Synchronization

/// An HTTP client on libcurl's multi interface: one dedicated I/O thread drives every transfer
/// with `curl_multi_poll`, connections are pooled and reused, and bodies stream to the caller as
/// they arrive. Proxies come from the standard environment variables (libcurl's own handling) and
/// TLS verification is always on.
public final class CurlHTTPClient: HTTPTransport {
    /// Client-wide settings.
    public struct Options: Sendable {
        /// A PEM file of CA certificates to trust instead of the system's.
        public var caFile: String?
        /// Largest body accepted; a larger one fails with `responseTooLarge`.
        public var maxResponseBytes: Int
        /// Idle connections kept open for reuse (each closes after libcurl's idle age, 118 s).
        /// libcurl's own default is four per transfer in flight, so a burst's connections were
        /// closed as soon as the burst thinned out, and the next burst connected (and, to a
        /// provider, shook hands over TLS) all over again.
        public var idleConnections: Int

        /// Creates options.
        public init(caFile: String? = nil, maxResponseBytes: Int = 64 << 20, idleConnections: Int = 128) {
            self.caFile = caFile
            self.maxResponseBytes = maxResponseBytes
            self.idleConnections = idleConnections
        }
    }

    private let loop: CurlLoop

    /// A client with its own I/O thread.
    public init(options: Options = Options()) {
        loop = CurlLoop(options: options)
    }

    deinit {
        loop.stop()
    }

    /// The libcurl version in use.
    public static var libcurlVersion: String {
        String(cString: sb_curl_version())
    }

    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        let transfer = try CurlTransfer(request: request, maxResponseBytes: loop.options.maxResponseBytes)
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        transfer.bodyContinuation = continuation
        let loop = self.loop
        continuation.onTermination = { termination in
            if case .cancelled = termination { loop.cancel(transfer) }
        }
        do {
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (headContinuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                    transfer.headContinuation = headContinuation
                    loop.submit(transfer)
                }
            } onCancel: {
                loop.cancel(transfer)
            }
            return HTTPStreamingResponse(head: head, body: body)
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(.other, "\(error)")
        }
    }
}

/// The I/O thread and the multi handle it owns.
///
/// `@unchecked Sendable`: `multi` and `active` are used only on the I/O thread (libcurl documents
/// `curl_multi_wakeup` as callable from any thread); other threads talk to it through `inbox`,
/// which a `Mutex` guards.
final class CurlLoop: @unchecked Sendable {
    struct Inbox {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
    }

    let options: CurlHTTPClient.Options
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// When to look for expired first-byte and idle timers next. Activity only moves a transfer's
    /// deadline later, so checking at the earliest deadline seen never misses one, and the busy
    /// loop does not walk every transfer on every wake-up.
    private var nextTimeoutCheck = ContinuousClock.now

    /// The longest the loop sleeps before checking its own timeouts again.
    static let maximumPoll = Duration.milliseconds(250)

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    init(options: CurlHTTPClient.Options) {
        Self.globalInit
        self.options = options
        guard let multi = curl_multi_init() else { fatalError("libcurl could not create its multi handle (out of memory)") }
        self.multi = multi
        sb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, options.idleConnections)
        let thread = Thread { [self] in run() }
        thread.name = "switchboard-curl"
        thread.start()
    }

    func submit(_ transfer: CurlTransfer) {
        inbox.withLock { $0.additions.append(transfer) }
        curl_multi_wakeup(multi)
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.markCancelled()
        inbox.withLock { $0.cancellations.append(transfer) }
        curl_multi_wakeup(multi)
    }

    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        while true {
            let (additions, cancellations, stopping) = inbox.withLock { inbox in
                defer { inbox.additions.removeAll(); inbox.cancellations.removeAll() }
                return (inbox.additions, inbox.cancellations, inbox.stopping)
            }
            for transfer in additions { start(transfer) }
            for transfer in cancellations where active[transfer.easy] != nil {
                finish(transfer, error: HTTPError(.cancelled, "the request was cancelled"))
            }
            if stopping {
                for transfer in active.values { finish(transfer, error: HTTPError(.cancelled, "the HTTP client was shut down")) }
                curl_multi_cleanup(multi)
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            collectCompleted()
            let now = ContinuousClock.now
            if now >= nextTimeoutCheck {
                nextTimeoutCheck = enforceTimeouts(now: now)
            }
            var descriptors: Int32 = 0
            curl_multi_poll(multi, nil, 0, Int32(Self.milliseconds(until: nextTimeoutCheck)), &descriptors)
        }
    }

    private func start(_ transfer: CurlTransfer) {
        guard !transfer.isCancelled else {
            transfer.fail(HTTPError(.cancelled, "the request was cancelled"))
            return
        }
        if let caFile = options.caFile { sb_curl_easy_setopt_string(transfer.easy, CURLOPT_CAINFO, caFile) }
        transfer.startedAt = .now
        active[transfer.easy] = transfer
        if let deadline = transfer.nextDeadline, deadline < nextTimeoutCheck { nextTimeoutCheck = deadline }
        let code = curl_multi_add_handle(multi, transfer.easy)
        if code != CURLM_OK {
            finish(transfer, error: HTTPError(.other, "libcurl refused the request: \(String(cString: curl_multi_strerror(code)))"))
        }
    }

    private func collectCompleted() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            guard let transfer = active[easy] else { continue }
            if result == CURLE_OK {
                finish(transfer, error: nil)
            } else {
                finish(transfer, error: transfer.abortReason ?? transfer.translate(result))
            }
        }
    }

    /// Aborts transfers past their first-byte or idle deadline; returns the next deadline.
    private func enforceTimeouts(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var next = now + Self.maximumPoll
        for transfer in Array(active.values) {
            if let error = transfer.timeoutError(now: now) {
                finish(transfer, error: error)
            } else if let deadline = transfer.nextDeadline, deadline < next {
                next = deadline
            }
        }
        return next
    }

    private func finish(_ transfer: CurlTransfer, error: HTTPError?) {
        curl_multi_remove_handle(multi, transfer.easy)
        active.removeValue(forKey: transfer.easy)
        transfer.release()
        if let error {
            transfer.fail(error)
        } else {
            transfer.complete()
        }
    }

    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int {
        let remaining = ContinuousClock.now.duration(to: deadline)
        let (seconds, attoseconds) = remaining.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1)
    }
}
