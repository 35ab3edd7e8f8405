public import Core

extension HTTPTimeouts {
    /// The timeouts the operator configured (`SWITCHBOARD_*_TIMEOUT`).
    public init(_ network: NetworkSettings) {
        self.init(
            connect: .seconds(network.connectTimeout), firstByte: .seconds(network.firstByteTimeout),
            idle: .seconds(network.idleTimeout), total: .seconds(network.requestTimeout))
    }
}

extension CurlHTTPClient.Options {
    /// The client options the operator configured (`SWITCHBOARD_CA_FILE`).
    public init(_ network: NetworkSettings) {
        self.init(caFile: network.caFile)
    }
}
