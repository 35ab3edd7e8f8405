public import Core
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
public import TelegramBot

/// The small HTTP server beside the bot: Telegram's webhook (a POST at the path of
/// `TELEGRAM_WEBHOOK_URL`), Prometheus text at `GET /metrics` and `GET /healthz` for a load
/// balancer. It speaks plain HTTP: put it behind the TLS proxy that Telegram's https URL points at.
public struct EndpointServer: Sendable {
    /// Telegram's updates are small; anything larger is not one.
    public static let maxWebhookBody = 1 << 20

    public let address: ListenAddress
    let webhook: (path: String, bot: TelegramBot)?
    let metrics: MetricsExporter?
    /// Why the service is unhealthy now (nil when healthy), for `/healthz`.
    let trouble: @Sendable () -> String?
    let logger = Logger(label: "switchboard.http")

    /// A server for the webhook of `bot` at `path` (when given) and `/metrics` from `metrics`
    /// (when given); `/healthz` answers 503 with `trouble` while it is not nil.
    public init(address: ListenAddress, webhook: (path: String, bot: TelegramBot)?, metrics: MetricsExporter?, trouble: @escaping @Sendable () -> String? = { nil }) {
        self.address = address
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
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: Self.maxWebhookBody)
                } catch {
                    return Self.answer(.contentTooLarge, "the body is larger than a Telegram update can be")
                }
                let secret = request.headers[.init("X-Telegram-Bot-Api-Secret-Token")!]
                let outcome = await bot.receiveWebhook(secretToken: secret, body: Array(buffer: body))
                return Self.answer(HTTPResponse.Status(code: outcome.httpStatus), outcome == .accepted || outcome == .duplicate ? nil : "\(outcome)")
            }
        }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { [address] channel in onReady(channel.localAddress?.port ?? address.port) },
            logger: logger)
        logger.notice("http server listening", metadata: [
            "address": "\(address)", "webhook": "\(webhook?.path ?? "off")", "metrics": "\(metrics == nil ? "off" : "/metrics")",
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

    /// A JSON answer: `{"ok":true}`, or `{"ok":false,"error":…}` with the reason.
    static func answer(_ status: HTTPResponse.Status, _ error: String?) -> Response {
        let text = error.map { #"{"ok":false,"error":"\#($0)"}"# } ?? #"{"ok":true}"#
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
