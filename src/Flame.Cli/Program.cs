using Flame.Cli;

// The flame command: every user-facing surface of the platform starts here.
// Before anything can load ONNX Runtime: its telemetry stays off in every flame process.
Flame.Runtime.TelemetryOff.Apply();
return FlameCommandLine.Run(args);
