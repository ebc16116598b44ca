"""Data access: small interfaces over DynamoDB, turning ClientError into domain exceptions."""
