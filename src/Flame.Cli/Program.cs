using Flame.Cli;

// The flame command: every user-facing surface of the platform starts here.
return FlameCommandLine.Run(args);
