import Foundation

/// What a channel may ask of the running service and change in it — the operator's commands
/// (`/model`, `/providers`, `/usage`) — without knowing the Gateway behind it (DESIGN §1: channels
/// talk to the Assistant and the control plane only). The Gateway conforms.
public protocol OperatorControls: Sendable {
    /// Every provider a request may go to, sorted.
    var providerNames: [String] { get }
    /// The model the operator pinned, if any.
    var pinnedModel: String? { get }
    /// Pins `model` (nil: back to automatic routing); the error says why it cannot be.
    func pin(model: String?) throws
    func isEnabled(_ provider: String) -> Bool
    func circuitState(of provider: String) -> CircuitState
    /// What is left of `user`'s daily budget now, nil when there is no per-user limit.
    func dailyBudgetLeft(for user: String) -> Double?
}
