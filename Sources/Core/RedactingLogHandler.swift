public import Logging

/// A log handler that scrubs secrets (see ``Redactor``) from every message and metadata value
/// before handing the line on: whatever a component logs, a key echoed by an upstream never
/// reaches standard error or the console.
public struct RedactingLogHandler: LogHandler {
    private var wrapped: any LogHandler
    private let redactor: Redactor

    public init(_ wrapped: any LogHandler, redactor: Redactor = .shared) {
        self.wrapped = wrapped
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(redactor.scrub(event.message.description))"
        event.metadata = event.metadata.map { Self.scrub($0, redactor) }
        wrapped.log(event: event)
    }

    private static func scrub(_ metadata: Logger.Metadata, _ redactor: Redactor) -> Logger.Metadata {
        metadata.mapValues { scrub($0, redactor) }
    }

    private static func scrub(_ value: Logger.Metadata.Value, _ redactor: Redactor) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redactor.scrub(text))
        case .stringConvertible(let convertible): .string(redactor.scrub(convertible.description))
        case .array(let values): .array(values.map { scrub($0, redactor) })
        case .dictionary(let values): .dictionary(scrub(values, redactor))
        }
    }
}
