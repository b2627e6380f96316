// The errors a task's outcome carries (`TaskError`, `ServiceError`, `ProcessTermination`,
// `CodedError`) live in the wire target with the frames that carry them; users see them through
// this module.
@_exported public import ParallaxWire
