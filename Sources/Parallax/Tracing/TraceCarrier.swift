package import Instrumentation

/// The injector and extractor through which a trace context crosses into a worker and back: the
/// carrier is the dictionary a traced frame's context part is written from and read into.
package struct TraceCarrier: Injector, Extractor {
    package typealias Carrier = [String: String]

    package init() {}

    package func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }

    package func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }

    /// The context part of a traced frame for `context`, as the current instrument injects it;
    /// nil when it injects nothing (no instrument) or more than a frame may carry.
    package static func wire(for context: ServiceContext) -> [UInt8]? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: TraceCarrier())
        return TracedPayload.context(carrier.sorted { $0.key < $1.key })
    }

    /// The service context that the current instrument extracts from a traced frame's entries.
    package static func context(from traced: TracedPayload) -> ServiceContext {
        var carrier: [String: String] = [:]
        for (key, value) in traced.entries where carrier[key] == nil { carrier[key] = value }
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: TraceCarrier())
        return context
    }
}
