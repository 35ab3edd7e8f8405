public import Core
import Foundation
public import Logging

/// Under ncurses nothing may print to the terminal: log records of `warning` and above become
/// error-log events on the bus (the console's Errors panel); the rest is dropped.
public struct BusLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .warning
    private let label: String
    private let bus: EventBus<Event>

    public init(label: String, bus: EventBus<Event>) {
        self.label = label
        self.bus = bus
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let details = (metadata.merging(event.metadata ?? [:]) { $1 }).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let source = label.split(separator: ".").last.map(String.init) ?? label
        bus.publish(.errorLogged(ErrorLogged(source: source, message: "\(event.message)" + (details.isEmpty ? "" : " (\(details))"), at: Date())))
    }
}
