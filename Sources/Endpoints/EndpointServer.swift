public import Core
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
public import TelegramBot

/// The small HTTP server beside the bot: Telegram's webhook (a POST at the path of
/// `TELEGRAM_WEBHOOK_URL`), Prometheus text at `GET /metrics` and `GET /healthz` for a load
/// balancer. It speaks plain HTTP: put it behind the TLS proxy that Telegram's https URL points at.
///
/// Strangers cannot exhaust it: the webhook's secret header is checked before its body is read
/// (a refused request's body is never read, its connection is closed), and ``ConnectionLimits``
/// bound how many connections are served and how long each may hold the server. `/metrics` and
/// `/healthz` need no secret: serve them on a private address (a second server, see
/// `SWITCHBOARD_METRICS_LISTEN`).
public struct EndpointServer: Sendable {
    /// Telegram's updates are small; anything larger is not one.
    public static let maxWebhookBody = 1 << 20

    public let address: ListenAddress
    let webhook: (path: String, bot: TelegramBot)?
    let metrics: MetricsExporter?
    /// Why the service is unhealthy now (nil when healthy), for `/healthz`.
    let trouble: @Sendable () -> String?
    let limits: ConnectionLimits
    /// The connections served now, the most served at once, and those closed to make room.
    public let connections: ConnectionRegistry
    let logger = Logger(label: "switchboard.http")

    /// A server for the webhook of `bot` at `path` (when given) and `/metrics` from `metrics`
    /// (when given); `/healthz` answers 503 with `trouble` while it is not nil.
    public init(
        address: ListenAddress, webhook: (path: String, bot: TelegramBot)?, metrics: MetricsExporter?, trouble: @escaping @Sendable () -> String? = { nil },
        limits: ConnectionLimits = .standard
    ) {
        self.address = address
        self.limits = limits
        connections = ConnectionRegistry(limit: limits.maxConnections)
        self.webhook = webhook
        self.metrics = metrics
        self.trouble = trouble
    }

    /// The local path of a webhook URL: what the proxy forwards to us (`/` when it has none).
    public static func webhookPath(of url: String) -> String {
        let path = URLComponents(string: url)?.path ?? ""
        return path.isEmpty ? "/" : path
    }

    /// Serves until the task is cancelled. `onReady` gets the port bound (useful with port 0).
    /// Throws when the address cannot be bound.
    public func run(onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.get("healthz") { [trouble] _, _ -> Response in
            guard let problem = trouble() else { return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))) }
            return Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "unhealthy: \(problem)\n")))
        }
        if let metrics {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
            }
        }
        if let (path, bot) = webhook {
            router.post(RouterPath(path)) { request, _ -> Response in
                // The secret first: a stranger's body is never read, nor waited for.
                let secret = request.headers[.init("X-Telegram-Bot-Api-Secret-Token")!]
                guard bot.acceptsWebhookSecret(secret) else {
                    return Self.answer(.forbidden, "\(TelegramBot.WebhookOutcome.forbidden)", closing: true)
                }
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: Self.maxWebhookBody)
                } catch {
                    return Self.answer(.contentTooLarge, "the body is larger than a Telegram update can be", closing: true)
                }
                let outcome = await bot.receiveWebhook(secretToken: secret, body: Array(buffer: body))
                return Self.answer(HTTPResponse.Status(code: outcome.httpStatus), outcome == .accepted || outcome == .duplicate ? nil : "\(outcome)")
            }
        }
        let app = Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(requestDeadline: limits.requestDeadline, registry: connections)], idleTimeout: TimeAmount(limits.idleTimeout))),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: nil,
                availableConnectionsDelegate: ConnectionCap(registry: connections)),
            onServerRunning: { [address] channel in onReady(channel.localAddress?.port ?? address.port) },
            logger: logger)
        logger.notice("http server listening", metadata: [
            "address": "\(address)", "webhook": "\(webhook?.path ?? "off")", "metrics": "\(metrics == nil ? "off" : "/metrics")",
            "max connections": "\(limits.maxConnections)",
        ])
        // Cancellation becomes a graceful shutdown: open requests finish, nothing is logged as
        // an error.
        // (The group runs in a task of its own, which the caller's cancellation does not reach.)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// A JSON answer: `{"ok":true}`, or `{"ok":false,"error":…}` with the reason. `closing`
    /// closes the connection after it (a refused request's body is not read).
    static func answer(_ status: HTTPResponse.Status, _ error: String?, closing: Bool = false) -> Response {
        let text = error.map { #"{"ok":false,"error":"\#($0)"}"# } ?? #"{"ok":true}"#
        var headers: HTTPFields = [.contentType: "application/json"]
        if closing { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
