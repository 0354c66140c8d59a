package main

// laterCommands lists the commands that build on the trainer and the
// predictor.
func laterCommands() []command {
	return []command{
		specInferCommand(),
		trainCommand(),
		modelInspectCommand(),
		scoreCommand(),
		serveCommand(),
		reportCommand(),
	}
}
