// A serverless circuit breaker around any AWS Lambda function: Step Functions, DynamoDB, CloudWatch alarms, SNS and EventBridge Scheduler, wired with least privilege.
package circuitbreaker
