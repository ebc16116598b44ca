"""What connects the use cases to the world: DynamoDB, SQS, KMS, HTTP (API Gateway), events, pushes."""
