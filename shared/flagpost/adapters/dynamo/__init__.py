"""DynamoDB: one client helper (`client`) and one store per table or concern, each owning its expressions."""
