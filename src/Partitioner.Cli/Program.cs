// Placeholder until the simulate and replay commands land (issue 3).
Console.Error.WriteLine("partitioner: no commands yet");
return 2;
